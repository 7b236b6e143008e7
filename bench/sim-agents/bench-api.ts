/** The few HTTP API calls the control-plane bench makes, each with its own deadline so no wait is unbounded. */
export interface ApiAnswer<T> {
  status: number;
  body: T | undefined;
  text: string;
  ms: number;
}

export class BenchApi {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    let parsed: T | undefined;
    try {
      parsed = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, ms };
  }

  /** GET of a list, its items; throws on anything but 200. */
  async list<T>(kind: string, timeoutMs = 30_000): Promise<T[]> {
    const a = await this.call<{ items: T[] }>('GET', `/v1/${kind}`, undefined, timeoutMs);
    if (a.status !== 200 || !a.body) throw new Error(`GET /v1/${kind}: HTTP ${a.status}`);
    return a.body.items;
  }

  /** Whether the API answers at all (health), within `timeoutMs`. */
  async answers(timeoutMs = 1000): Promise<boolean> {
    try {
      return (await this.call('GET', '/v1/health', undefined, timeoutMs)).status === 200;
    } catch {
      return false;
    }
  }
}

export interface TaskView {
  id: string;
  app: string;
  nodeId?: string;
  state: string;
  restarts: number;
  generation: number;
}
export interface NodeView {
  id: string;
  state: string;
}
export interface EventView {
  time: string;
  object: string;
  reason: string;
  message: string;
}
