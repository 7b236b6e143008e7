/** core/scheduler: the placement pipeline. Imports only core/domain. */
export { Scheduler } from './scheduler';
export { SchedulingPass } from './scheduling-pass';
export type { PlacementLedger } from './ports';
export { compileSchedulerOptions } from './options';
export type { CompiledSchedulerOptions, FitStrategy, SchedulerOptions } from './options';
export { RejectionReason, StatusCode } from './reasons';
export type { Filter, Placed, PlacementResult, Rejection, Scorer, Unschedulable } from './types';
export { buildPipeline } from './stack';
export type { Pipeline } from './stack';
export { describePlacement } from './describe';
export { describeSizes } from './filters/storage-fit';
