import { StatusCode, type RejectionReason } from '../reasons';
import type { Rejection } from '../types';

/** A rejection that waiting for capacity may resolve. */
export function unschedulable(nodeId: string, reason: RejectionReason, message: string): Rejection {
  return { nodeId, reason, code: StatusCode.Unschedulable, message };
}

/** A rejection no amount of waiting for other tasks resolves (node down, wrong labels, data elsewhere). */
export function unresolvable(nodeId: string, reason: RejectionReason, message: string): Rejection {
  return { nodeId, reason, code: StatusCode.UnschedulableAndUnresolvable, message };
}
