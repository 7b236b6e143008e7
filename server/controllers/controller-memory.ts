/**
 * What the controllers remember between passes that is not worth a record (it only keeps events from
 * repeating, or two overlapping calls from doing the same work). It belongs to one server — a field of
 * its ClusterContext — never to the module: two servers in one process (tests) must not share it.
 */
export class ControllerMemory {
  /** cleanup.ts: the last failure recorded per claim or task, so a step retried every pass records each distinct failure once. */
  readonly lastFailure = new Map<string, string>();
  /** immediate-binding.ts: the last "waiting"/"failed" message per claim, recorded once per distinct message. */
  readonly lastWaiting = new Map<string, string>();
  /** provisioning.ts: volumes whose agent-made creation is being recorded right now (two syncs of one agent can overlap). */
  readonly recordingAgentCreated = new Set<string>();
}
