/**
 * How long an agent asks the server to hold an unchanged Sync. The server answers sooner when the node's
 * desired state changes, and never later than a third of its node-down time, so this only sets how
 * often an idle agent is heard from: at 1,000 nodes, 3 s meant 333 Syncs a second doing nothing.
 */
export const AGENT_LONG_POLL_MS = 10_000;
