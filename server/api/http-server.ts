import Fastify, { FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Logger } from 'pino';
import { errorReply } from './error-reply';
import { unauthorized } from './http-errors';
import type { ClusterService, ListKind } from './cluster-service';

export interface HttpApiOptions {
  /** host:port to listen on. Anything but loopback requires a token. */
  listen: string;
  token?: string;
  log: Logger;
  /** More routes (recovery points, restores), registered before the server listens. */
  routes?: (app: FastifyInstance) => void;
}

const LIST_KINDS: ListKind[] = ['apps', 'tasks', 'nodes', 'volumes', 'claims', 'reservations', 'snapshots', 'storageclasses', 'plugins', 'events'];
const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new Error(`--listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The HTTP/JSON API. Bodies and path parameters are validated by fastify schemas at the edge; every
 * service error is a BerthError whose code picks the status (error-reply.ts); anything else is a 500
 * with the cause logged.
 */
export async function startHttpApi(service: ClusterService, options: HttpApiOptions): Promise<{ app: FastifyInstance; url: string }> {
  const { host, port } = splitHostPort(options.listen);
  if (!isLoopback(host) && !options.token) {
    throw new Error(`refusing to listen on ${host} without a token: pass --token (or BERTH_TOKEN) when the API is reachable beyond loopback`);
  }
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  if (options.token) {
    const token = options.token;
    app.addHook('onRequest', async (req) => {
      if (!tokenMatches(token, req.headers.authorization)) throw unauthorized('missing or wrong API token');
    });
  }
  app.setErrorHandler((error, _req, reply) => {
    const { status, body, log } = errorReply(error);
    if (log) options.log.error({ err: error }, 'API request failed');
    void reply.status(status).send(body);
  });

  app.post('/v1/apply', { schema: { body: { type: 'object', required: ['manifest'], additionalProperties: false,
    properties: { manifest: { type: 'string', minLength: 1 }, dryRun: { type: 'boolean' } } } } },
  async (req) => {
    const body = req.body as { manifest: string; dryRun?: boolean };
    return { applied: await service.apply(body.manifest, Boolean(body.dryRun)) };
  });

  // Lists answer blocking queries (as Nomad's do): with ?index=N (the x-berth-index of an earlier answer)
  // the answer waits until something changed after N, at most waitMs — a watch without polling.
  const blocking = { querystring: { type: 'object', properties: { index: { type: 'integer', minimum: 0 }, waitMs: { type: 'integer', minimum: 0, maximum: 300_000 } } } };
  for (const kind of LIST_KINDS) {
    app.get(`/v1/${kind}`, { schema: blocking }, async (req, reply) => {
      const { index, waitMs } = req.query as { index?: number; waitMs?: number };
      if (index !== undefined) {
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort()); // the client went away
        await service.waitPast(index, waitMs ?? 30_000, gone.signal);
      }
      void reply.header('x-berth-index', String(service.index));
      return { items: await service.list(kind) };
    });
  }
  app.get('/v1/apps/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => service.getApp((req.params as { name: string }).name));
  app.get('/v1/apps/:name/describe', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => service.describeApp((req.params as { name: string }).name));
  app.delete('/v1/apps/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => ({ message: await service.deleteApp((req.params as { name: string }).name) }));
  app.delete('/v1/storageclasses/:name', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => ({ message: await service.deleteStorageClass((req.params as { name: string }).name) }));
  app.post('/v1/apps/:name/scale', { schema: { params: { type: 'object', properties: { name: NAME } },
    body: { type: 'object', required: ['instances'], additionalProperties: false, properties: { instances: { type: 'integer', minimum: 0, maximum: 10000 } } } } },
  async (req) => ({ message: await service.scaleApp((req.params as { name: string }).name, (req.body as { instances: number }).instances) }));
  app.get('/v1/tasks/:id/logs', { schema: { params: { type: 'object', properties: { id: NAME } },
    querystring: { type: 'object', properties: { tail: { type: 'integer', minimum: 1 } } } } },
  async (req) => ({ logs: await service.taskLogs((req.params as { id: string }).id, (req.query as { tail?: number }).tail) }));
  app.get('/v1/health', async () => ({ ok: true }));
  options.routes?.(app);

  const url = await app.listen({ host, port });
  return { app, url };
}
