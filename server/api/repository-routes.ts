import type { FastifyInstance } from 'fastify';
import type { Repositories } from '../data-protection/repositories';

const NAME = { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' } as const;

/**
 * Backup repositories over HTTP:
 *   POST   /v1/repositories         { name, location, passphrase, init? }  add (or create) one
 *   GET    /v1/repositories[/:name] list / one (never the passphrase)
 *   DELETE /v1/repositories/:name   forget it (its data stays)
 */
export function registerRepositoryRoutes(app: FastifyInstance, repositories: Repositories): void {
  app.post('/v1/repositories', { schema: { body: { type: 'object', required: ['name', 'location', 'passphrase'], additionalProperties: false,
    properties: { name: NAME, location: { type: 'string', minLength: 1, maxLength: 4096 }, passphrase: { type: 'string', minLength: 1, maxLength: 4096 }, init: { type: 'boolean' } } } } },
  async (req) => repositories.add(req.body as { name: string; location: string; passphrase: string; init?: boolean }));
  app.get('/v1/repositories', async () => ({ items: repositories.list() }));
  app.get('/v1/repositories/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } }, async (req) => {
    const { passphrase: _secret, ...shown } = repositories.get((req.params as { name: string }).name);
    return shown;
  });
  app.delete('/v1/repositories/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => ({ message: repositories.remove((req.params as { name: string }).name) }));
}
