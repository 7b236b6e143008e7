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

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let url: URL;
    try {
      url = new URL(path, this.options.server);
    } catch {
      throw new UsageError(`--server must be a URL such as http://127.0.0.1:7420, got ${JSON.stringify(this.options.server)}`);
    }
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
    let data: unknown;
    try {
      data = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      throw new ApiError(
        res.status,
        `the server at ${this.options.server} answered HTTP ${res.status} with something that is not JSON (is it a Berth server?)`,
      );
    }
    if (!res.ok) {
      const err = data as { message?: string; code?: unknown; errors?: unknown } | undefined;
      const message = err?.message ?? `HTTP ${res.status}`;
      throw new ApiError(
        res.status,
        res.status === 401 && this.options.tokenHelp ? `${message}; ${this.options.tokenHelp}` : message,
        fieldErrors(err?.errors),
        isErrorCode(err?.code) ? err.code : undefined,
      );
    }
    // The server answers this route's reply type (api/); JSON.parse cannot know it.
    return data as T;
  }
}
