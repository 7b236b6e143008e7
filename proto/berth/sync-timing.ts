/**
 * How long an agent asks the server to hold an unchanged Sync. The server answers sooner when the node's
 * desired state changes, and holds no longer than its liveness rules allow (a third of its node-down
 * time, longer in a large cluster so idle Syncs stay at a bounded rate): this only lets it choose.
 */
export const AGENT_LONG_POLL_MS = 60_000;
