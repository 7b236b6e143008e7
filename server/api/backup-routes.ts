import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from './http-errors';
import type { BackupSchedules, ScheduleInput } from '../data-protection/backup-schedules';
import type { BackupService } from '../data-protection/backups';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;
const BACKUP_ID = { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' } as const;
/** A repository by name, or by its location (an absolute path). */
const REPOSITORY = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/**
 * Fastify's validator drops unknown properties silently (removeAdditional); a misspelt field such as
 * `repo` must be refused instead of backing up into the default repository.
 */
const onlyFields = (allowed: readonly string[]) => async (req: FastifyRequest): Promise<void> => {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw badRequest(`unknown field(s) ${unknown.join(', ')}; expected ${allowed.join(', ')}`);
};

/**
 * Backups and schedules over HTTP:
 *   POST   /v1/apps/:name/backups   { repository? }  start a backup: 202 with the record (poll GET /v1/backups/:id)
 *   GET    /v1/backups[?app=]       records, plus backups found only in a repository (origin: repository)
 *   GET    /v1/backups/:id          one, with progress (bytes, files, rate, ETA)
 *   DELETE /v1/backups/:id          delete its manifest (data reclaimed by `repo prune`) and record
 *   POST   /v1/schedules            { name, app, cron, repository?, keep?, ttl? }  create or replace
 *   GET    /v1/schedules[/:name] · DELETE /v1/schedules/:name
 * Nothing here returns a passphrase or a storage-class secret.
 */
export function registerBackupRoutes(app: FastifyInstance, backups: BackupService, schedules: BackupSchedules): void {
  app.post('/v1/apps/:name/backups', { preValidation: onlyFields(['repository']), schema: { params: { type: 'object', properties: { name: NAME } },
    body: { type: 'object', additionalProperties: false, properties: { repository: REPOSITORY } } } },
  async (req, reply) => {
    const body = (req.body ?? {}) as { repository?: string };
    const record = await backups.create((req.params as { name: string }).name, { repository: body.repository });
    return reply.status(202).send(record);
  });
  app.get('/v1/backups', { schema: { querystring: { type: 'object', additionalProperties: false, properties: { app: NAME } } } },
    async (req) => ({ items: await backups.list((req.query as { app?: string }).app) }));
  app.get('/v1/backups/:id', { schema: { params: { type: 'object', properties: { id: BACKUP_ID } } } },
    async (req) => backups.get((req.params as { id: string }).id));
  app.delete('/v1/backups/:id', { schema: { params: { type: 'object', properties: { id: BACKUP_ID } } } },
    async (req) => ({ message: await backups.delete((req.params as { id: string }).id) }));

  app.post('/v1/schedules', { preValidation: onlyFields(['name', 'app', 'cron', 'repository', 'keep', 'ttl']), schema: { body: { type: 'object', required: ['name', 'app', 'cron'], additionalProperties: false, properties: {
    name: { type: 'string', minLength: 1, maxLength: 253 }, app: NAME, cron: { type: 'string', minLength: 1, maxLength: 200 },
    repository: REPOSITORY, keep: { type: 'integer', minimum: 1, maximum: 100000 }, ttl: { type: 'string', minLength: 1, maxLength: 32 } } } } },
  async (req, reply) => {
    const { schedule, action } = schedules.create(req.body as ScheduleInput);
    return reply.status(action === 'created' ? 201 : 200).send({ ...schedule, action });
  });
  app.get('/v1/schedules', async () => ({ items: schedules.list() }));
  app.get('/v1/schedules/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => schedules.get((req.params as { name: string }).name));
  app.delete('/v1/schedules/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => ({ message: schedules.delete((req.params as { name: string }).name) }));
}
