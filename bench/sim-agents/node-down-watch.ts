import type { BenchApi, EventView, NodeView } from './bench-api';

const EVENTS_EVERY_MS = 2000;
const NODES_EVERY_MS = 5000;

/**
 * Watches for nodes the server marks down, by two means (neither alone is complete): the NodeDown events
 * among the 200 newest (a burst of other events can push one out), and the nodes' state (a node that
 * syncs again is ready a moment later). Paused while idle cost is measured, so its requests do not count
 * there; a check after the pause finds what happened meanwhile (few events are written while idle).
 */
export class NodeDownWatch {
  /** node id → how it was seen down. */
  readonly down = new Map<string, string>();
  /** Looks that got an answer, and looks that did not (a server too busy to answer hides downs). */
  answered = 0;
  unanswered = 0;
  private active = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastEvents = 0;
  private lastNodes = 0;

  constructor(private readonly api: BenchApi) {}

  resume(): void {
    this.active = true;
    this.loop ??= this.run();
  }

  pause(): void {
    this.active = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** One look now, whatever the pause state. */
  async check(): Promise<void> {
    await Promise.all([this.checkEvents(), this.checkNodes()]);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.active) {
        const now = Date.now();
        if (now - this.lastEvents >= EVENTS_EVERY_MS) {
          this.lastEvents = now;
          await this.checkEvents();
        }
        if (now - this.lastNodes >= NODES_EVERY_MS) {
          this.lastNodes = now;
          await this.checkNodes();
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async checkEvents(): Promise<void> {
    try {
      for (const e of await this.api.list<EventView>('events', 10_000)) {
        if (e.reason === 'NodeDown') this.down.set(e.object.replace(/^node\//, ''), `NodeDown event at ${e.time}: ${e.message}`);
      }
      this.answered++;
    } catch {
      this.unanswered++; // a busy server may not answer in time: the next look catches up
    }
  }

  private async checkNodes(): Promise<void> {
    try {
      for (const n of await this.api.list<NodeView>('nodes', 20_000))
        if (n.state === 'down' && !this.down.has(n.id)) this.down.set(n.id, `state down at ${new Date().toISOString()}`);
      this.answered++;
    } catch {
      this.unanswered++;
    }
  }
}
