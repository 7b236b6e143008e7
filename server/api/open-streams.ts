/**
 * The streaming answers in progress (logs followed, exec sessions). A server that stops ends them
 * first: fastify's close waits for requests in flight, and a follow of a quiet task would never end.
 */
export class OpenStreams {
  private readonly closers = new Set<() => void>();

  /** Registers how to end one stream; the function returned unregisters it (call it when the stream ends). */
  add(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  closeAll(): void {
    for (const close of [...this.closers]) close();
    this.closers.clear();
  }
}
