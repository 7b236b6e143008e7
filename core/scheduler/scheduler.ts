/**
 * The scheduler: decides where tasks run and makes each decision stick by reserving it in the
 * ledger. Holds the compiled options and the pipeline; each pass has its own view of the cluster
 * (see scheduling-pass.ts for how stale views stay safe).
 */
import { validateTaskRequest } from '../domain';
import type { NodeInfo, TaskRequest } from '../domain';
import { compileSchedulerOptions, type CompiledSchedulerOptions, type SchedulerOptions } from './options';
import { nodeOrder, PassState, type NodeOrder } from './pass-state';
import type { PlacementLedger } from './ports';
import { seededRandom, type Random } from './random';
import { SchedulingPass } from './scheduling-pass';
import { buildPipeline, type Pipeline } from './stack';
import type { PlacementResult } from './types';

export class Scheduler {
  readonly options: CompiledSchedulerOptions;
  private readonly pipeline: Pipeline;
  private readonly random: Random;
  /** Shuffled node order per node list: callers that reuse their node array skip re-indexing 5,000 nodes per pass. */
  private readonly orders = new WeakMap<readonly NodeInfo[], NodeOrder>();

  constructor(
    private readonly ledger: PlacementLedger,
    options: SchedulerOptions = {},
  ) {
    this.options = compileSchedulerOptions(options);
    this.pipeline = buildPipeline(this.options);
    this.random = seededRandom(this.options.seed);
  }

  /** Takes a ledger snapshot of `nodes` and returns a pass to place tasks against it. */
  async beginPass(nodes: readonly NodeInfo[]): Promise<SchedulingPass> {
    const snapshot = await this.ledger.snapshot();
    let order = this.orders.get(nodes);
    if (!order) {
      order = nodeOrder(nodes, this.random);
      this.orders.set(nodes, order);
    }
    return new SchedulingPass(this.ledger, this.pipeline, this.options, this.random, new PassState(order, snapshot));
  }

  /**
   * Places `tasks` in order in one pass, reserving each placement. One result per task, same order.
   * @throws InvalidRequestError for a malformed task, before anything is reserved.
   */
  async schedule(nodes: readonly NodeInfo[], tasks: readonly TaskRequest[]): Promise<PlacementResult[]> {
    for (const t of tasks) validateTaskRequest(t);
    const pass = await this.beginPass(nodes);
    const results: PlacementResult[] = [];
    for (const task of tasks) results.push(await pass.place(task));
    return results;
  }

  /** One task in a pass of its own. */
  async scheduleOne(nodes: readonly NodeInfo[], task: TaskRequest): Promise<PlacementResult> {
    return (await this.schedule(nodes, [task]))[0]!;
  }
}
