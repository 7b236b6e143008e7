import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { secretsEqual } from '../../lib/auth/secrets';
import { health } from '../../api';
import { errorReply } from './error-reply';
import { unauthorized } from './http-errors';
import { BODY_LIMIT_BYTES, clientErrorHandler, registerRequestLimits } from './request-limits';
import { registerRoutes } from './routes';
import type { ApiServices } from './services';
import { unknownFieldMessage } from './unknown-field';

export type { ApiServices } from './services';

export interface HttpApiOptions {
  /** host:port to listen on. */
  listen: string;
  /** Every request but /v1/health carries one of these (at least one). */
  tokens: readonly string[];
  log: Logger;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new Error(`--listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

function tokenMatches(tokens: readonly string[], header: string | undefined): boolean {
  // The scheme is case-insensitive (RFC 7235): `bearer` and `BEARER` are the same scheme.
  const given = header && /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '') : '';
  // Every token compared, so the timing does not tell which one came close.
  return tokens.map((t) => secretsEqual(t, given)).includes(true);
}

/** Open without a token: it answers `{ ok: true }` and nothing else. */
const OPEN_ROUTES = new Set<string>([health.url]);

/**
 * The HTTP/JSON API: the routes of the contract in api/, one file per resource in ./routes. Every
 * body, query string and path is validated by its route's schema at the edge, and a field the route
 * does not know is refused (400 naming it) rather than dropped; every service error is a BerthError
 * whose code picks the status (error-reply.ts); anything else is a 500 with the cause logged.
 */
export async function startHttpApi(services: ApiServices, options: HttpApiOptions): Promise<{ app: FastifyInstance; url: string }> {
  const { host, port } = splitHostPort(options.listen);
  const tokens = options.tokens.filter((t) => t.length > 0);
  if (tokens.length === 0) throw new Error('the API needs a token');
  // Fastify's validator removes properties a schema does not list (removeAdditional) — a misspelt
  // `dryrun` would be dropped and the apply done for real. Off: additionalProperties: false refuses them.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, clientErrorHandler, ajv: { customOptions: { removeAdditional: false } } });
  registerRequestLimits(app);
  app.addHook('onRequest', async (req) => {
    if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return;
    if (!req.headers.authorization) throw unauthorized('this request carries no API token (Authorization: Bearer <token>)');
    if (!tokenMatches(tokens, req.headers.authorization)) throw unauthorized('wrong API token');
  });
  app.setErrorHandler((error, req, reply) => {
    const { status, body, log } = errorReply(error);
    if (log) options.log.error({ err: error }, 'API request failed');
    const fe = error as { validation?: Parameters<typeof unknownFieldMessage>[0]; validationContext?: string };
    const unknownField = fe.validation && unknownFieldMessage(fe.validation, fe.validationContext, req.routeOptions.schema);
    void reply.status(status).send(unknownField ? { ...body, message: unknownField } : body);
  });
  // Registered (and awaited) before any route: it documents the routes declared after it.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Berth API',
        version: 'v1',
        description:
          "The HTTP/JSON API of a Berth server. Every request but GET /v1/health carries `Authorization: Bearer <token>` (the server's <data-dir>/api-token).",
      },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });
  registerRoutes(app, services);

  const url = await app.listen({ host, port });
  return { app, url };
}
