import type { FastifyInstance } from 'fastify';
import { addRepository, getRepository, listRepositories, removeRepository } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/** Backup repositories: add (or create), list, one, forget (the data stays). Never the passphrase. */
export function registerRepositoryRoutes(app: FastifyInstance, { repositories }: ApiServices): void {
  serve(app, addRepository, async ({ body }) => repositories.add(body));
  serve(app, listRepositories, async () => ({ items: repositories.list() }));
  serve(app, getRepository, async ({ params }) => {
    const { passphrase: _secret, ...shown } = repositories.get(params.name);
    return shown;
  });
  serve(app, removeRepository, async ({ params }) => ({ message: repositories.remove(params.name) }));
}
