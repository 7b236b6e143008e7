import { BerthError, codeForHttpStatus, isErrorCode, type ErrorCode, type FieldError } from '../lib/errors';
import { UsageError } from './output';

/**
 * The CLI's view of the server's HTTP/JSON API. Errors carry the server's code (or, from an answer
 * without one, the code its HTTP status stands for), its message and field errors, so commands can
 * print them and exit with the code's exit code (exit-codes.ts). Status 0: no answer at all.
 */
export class ApiError extends BerthError {
  constructor(readonly status: number, message: string, details?: readonly FieldError[], code?: ErrorCode) {
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
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
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
      throw new ApiError(0, `cannot reach the Berth server at ${this.options.server}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      throw new ApiError(res.status, `the server at ${this.options.server} answered HTTP ${res.status} with something that is not JSON (is it a Berth server?)`);
    }
    if (!res.ok) {
      const err = data as { message?: string; code?: unknown; errors?: unknown } | undefined;
      throw new ApiError(res.status, err?.message ?? `HTTP ${res.status}`, fieldErrors(err?.errors), isErrorCode(err?.code) ? err.code : undefined);
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path); }
  post<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('POST', path, body ?? {}); }
  delete<T>(path: string): Promise<T> { return this.request<T>('DELETE', path); }
}
