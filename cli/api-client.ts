import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { BerthError, codeForHttpStatus, isErrorCode, type ErrorCode, type FieldError } from '../lib/errors';
import type { ReplyOf, RequestOf, Route } from '../api';
import { UsageError } from './output';

/**
 * The CLI's view of the server's HTTP/JSON API. Errors carry the server's code (or, from an answer
 * without one, the code its HTTP status stands for), its message and field errors, so commands can
 * print them and exit with the code's exit code (exit-codes.ts). Status 0: no answer at all.
 */
export class ApiError extends BerthError {
  constructor(
    readonly status: number,
    message: string,
    details?: readonly FieldError[],
    code?: ErrorCode,
  ) {
    super(code ?? codeForHttpStatus(status), message, { details });
  }
}

/** The `errors` of an answer as field errors; entries of another shape are shown as far as they go. */
function fieldErrors(errors: unknown): FieldError[] | undefined {
  if (!Array.isArray(errors)) return undefined;
  return errors.map((e: { path?: unknown; message?: unknown } | null) => ({
    path: typeof e?.path === 'string' ? e.path : '',
    message: typeof e?.message === 'string' ? e.message : '',
  }));
}

export interface ApiClientOptions {
  server: string;
  token?: string;
  /** Added to a 401's message: where the token came from, or where it was looked for. */
  tokenHelp?: string;
}

/** A route's input, as a rest argument: routes taking nothing (or only optional parts) may be called without one. */
// biome-ignore lint/complexity/noBannedTypes: `{} extends X` is the test for "every field of X is optional"
type Input<R> = {} extends RequestOf<R> ? [input?: RequestOf<R>] : [input: RequestOf<R>];

/** `/v1/apps/:name` with { name: 'a b' } → `/v1/apps/a%20b`. */
function pathOf(url: string, params: Record<string, string> = {}): string {
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name]));
}

function queryOf(query: Record<string, unknown> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  /** Calls a route of the contract (api/): its parameters, query and body typed by its schemas, its answer by its reply type. */
  async call<R extends Route>(route: R, ...[input]: Input<R>): Promise<ReplyOf<R>> {
    const parts = (input ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown };
    // POSTs always carry a JSON body (an empty object when the route takes no fields), as before.
    const body = route.method === 'POST' ? (parts.body ?? {}) : undefined;
    return this.request<ReplyOf<R>>(route.method, `${pathOf(route.url, parts.params)}${queryOf(parts.query)}`, body);
  }

  /**
   * Calls a route whose answer is a stream (logs followed, exec): resolves with the answer once its
   * headers arrive — while `body`, if any, is still being sent (exec's stdin) — or rejects with the
   * server's error. Destroying the answer ends the exchange.
   */
  async open<R extends Route>(route: R, input: RequestOf<R>, body?: { contentType: string; stream: Readable }): Promise<IncomingMessage> {
    const parts = input as { params?: Record<string, string>; query?: Record<string, unknown> };
    const url = this.url(`${pathOf(route.url, parts.params)}${queryOf(parts.query)}`);
    const headers: Record<string, string> = { ...this.authHeader() };
    if (body) headers['content-type'] = body.contentType;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: route.method, headers }, resolve);
      req.on('error', (error) => reject(new ApiError(0, `cannot reach the Berth server at ${this.options.server}: ${error.message}`)));
      if (body) body.stream.pipe(req);
      else req.end();
    });
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    body?.stream.destroy();
    throw this.errorOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
  }

  private authHeader(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private url(path: string): URL {
    try {
      return new URL(path, this.options.server);
    } catch {
      throw new UsageError(`--server must be a URL such as http://127.0.0.1:7420, got ${JSON.stringify(this.options.server)}`);
    }
  }

  /** The error of an answer that is not a success: the server's code, message and field errors. */
  private errorOf(status: number, text: string): ApiError {
    let data: unknown;
    try {
      data = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      return new ApiError(status, `the server at ${this.options.server} answered HTTP ${status} with something that is not JSON (is it a Berth server?)`);
    }
    const err = data as { message?: string; code?: unknown; errors?: unknown } | undefined;
    const message = err?.message ?? `HTTP ${status}`;
    return new ApiError(
      status,
      status === 401 && this.options.tokenHelp ? `${message}; ${this.options.tokenHelp}` : message,
      fieldErrors(err?.errors),
      isErrorCode(err?.code) ? err.code : undefined,
    );
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeader() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = this.url(path);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(
        0,
        `cannot reach the Berth server at ${this.options.server}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      );
    }
    const text = await res.text();
    if (!res.ok) throw this.errorOf(res.status, text);
    try {
      // The server answers this route's reply type (api/); JSON.parse cannot know it.
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new ApiError(
        res.status,
        `the server at ${this.options.server} answered HTTP ${res.status} with something that is not JSON (is it a Berth server?)`,
      );
    }
  }
}
