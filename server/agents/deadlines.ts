import { MOVER_STALL_MS } from '../../agent/data-mover-types';

/*
 * How long the server waits for an agent, per kind of call (node-link.ts applies them). A call that
 * carries its own timeout to the agent (a hook's command, a plugin's CSI call) gets a little longer
 * than that timeout, so the agent's own DEADLINE_EXCEEDED — which says who was late — comes back
 * before the server gives up on the agent.
 */

/** Task logs: read from the runtime, answered at once or not at all. */
export const LOGS_DEADLINE_MS = 10_000;

/** Exec (backup hooks): beyond the command's own timeout. */
export const EXEC_SLACK_MS = 10_000;

/** One CSI call the server makes (CreateVolume and snapshots can take a while on real disks). */
export const CSI_TIMEOUT_MS = 60_000;

/** A CSI call forwarded through an agent: beyond the plugin's deadline. */
export const CSI_SLACK_MS = 5_000;

/**
 * Data-mover streams have no deadline (a backup takes as long as its volume): they fail once silent
 * this long (the agent repeats its progress every MOVER_HEARTBEAT_MS).
 */
export const MOVER_SILENCE_MS = MOVER_STALL_MS;

/**
 * The longest wait between attempts to reach an agent that did not answer: grpc-js backs off up to
 * two minutes by default, and a call made meanwhile fails at once; an agent back after a restart
 * should be reachable within seconds.
 */
export const RECONNECT_BACKOFF_MAX_MS = 2_000;
