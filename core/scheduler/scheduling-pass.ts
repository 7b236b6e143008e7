/**
 * One scheduling pass: a ledger snapshot taken once, then tasks decided one after another against
 * it plus this pass's own placements (PassState), each decision reserved in the ledger right away.
 *
 * The snapshot may lag behind other concurrent passes; the ledger's transaction is the authority,
 * so a stale choice is simply refused (`insufficient`), that node's state refreshed, and the
 * next-best candidate tried. Before declaring a task unschedulable after such refusals, the pass
 * re-reads the whole ledger once, so "pending" reasons are never based on data known to be stale.
 */
import { LedgerInvariantError, taskHolderId, validateTaskRequest } from '../domain';
import type { Reservation, TaskRequest } from '../domain';
import type { CompiledSchedulerOptions } from './options';
import { conflictResult, unschedulableResult } from './outcome';
import type { PassState } from './pass-state';
import type { PlacementLedger } from './ports';
import type { Random } from './random';
import { selectNodes } from './select';
import type { Pipeline } from './stack';
import { TaskEvaluation } from './task-evaluation';
import type { PlacementResult, Rejection } from './types';

export class SchedulingPass {
  constructor(
    private readonly ledger: PlacementLedger,
    private readonly pipeline: Pipeline,
    private readonly options: CompiledSchedulerOptions,
    private readonly random: Random,
    private readonly state: PassState,
  ) {}

  /**
   * Decides where `task` runs and reserves it. Tasks of one pass must be placed one at a time
   * (await each), so each decision sees the previous ones.
   * @throws InvalidRequestError for a malformed task (nothing is reserved).
   */
  async place(task: TaskRequest): Promise<PlacementResult> {
    validateTaskRequest(task);
    const holder = taskHolderId(task.taskId);
    const held = (await this.ledger.reservationsOf([holder])).get(holder);
    return this.decide(new TaskEvaluation(task, held));
  }

  private async decide(task: TaskEvaluation): Promise<PlacementResult> {
    const pass = this.state;
    let attempts = 0;
    let refreshedAll = false;
    const refusedBy: string[] = [];
    for (;;) {
      const selection = selectNodes(this.pipeline, task, pass, this.random);
      if (selection.ranked.length === 0) {
        if (pass.sawConflict && !refreshedAll) {
          pass.refreshAll(await this.ledger.snapshot());
          refreshedAll = true;
          continue;
        }
        return unschedulableResult(task, selection.rejections, pass.order.length);
      }
      for (const candidate of selection.ranked) {
        if (attempts >= this.options.maxReserveAttempts) return conflictResult(task, attempts, refusedBy);
        attempts++;
        const nodeId = candidate.node.id;
        const amounts = task.amountsFor(candidate.node, candidate.plan);
        const dynamicPorts = task.dynamicPortNames.length > 0 ? task.dynamicPortsOn(nodeId) : undefined;
        const outcome = await this.ledger.reserve({
          holderId: taskHolderId(task.task.taskId),
          nodeId,
          amounts,
          replaceExisting: true,
          ...(dynamicPorts ? { dynamicPorts } : {}),
        });
        switch (outcome.status) {
          case 'reserved':
            // The reservation's amounts, not the request's: they hold the host ports the ledger picked.
            pass.propose(nodeId, outcome.reservation.amounts, 1);
            if (outcome.replaced) pass.propose(outcome.replaced.nodeId, outcome.replaced.amounts, -1);
            return placed(task, outcome.reservation, candidate.score, selection.nodesEvaluated, attempts, selection.rejections);
          case 'already-reserved':
            return placed(task, outcome.reservation, candidate.score, selection.nodesEvaluated, attempts, selection.rejections);
          case 'insufficient':
            // Someone else took it since our snapshot: learn the truth about this node, try the next-best.
            pass.refreshNode(outcome.state);
            pass.sawConflict = true;
            refusedBy.push(nodeId);
            break;
          case 'unknown-node':
            pass.forgetNode(nodeId);
            pass.sawConflict = true;
            refusedBy.push(nodeId);
            break;
          case 'holder-conflict':
            throw new LedgerInvariantError('ledger answered holder-conflict to a replaceExisting reserve', { taskId: task.task.taskId });
        }
      }
      // Every ranked candidate was refused: select again with the refreshed node states.
    }
  }
}

function placed(
  task: TaskEvaluation,
  reservation: Reservation,
  score: number,
  nodesEvaluated: number,
  reserveAttempts: number,
  rejections: readonly Rejection[],
): PlacementResult {
  return { kind: 'placed', taskId: task.task.taskId, nodeId: reservation.nodeId, score, reservation, nodesEvaluated, reserveAttempts, rejections };
}
