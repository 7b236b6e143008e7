/** Scheduler options as callers write them, compiled once into a complete, validated form. */
import { InvalidRequestError } from '../domain';

export type FitStrategy = 'binpack' | 'spread';

export interface SchedulerOptions {
  /** binpack (default): fill nodes up, keep others free for big tasks. spread: emptiest node first. */
  readonly strategy?: FitStrategy;
  /**
   * How many feasible nodes to score per decision. 'log2' (default) = max(2, ceil(log2(nodes))),
   * Nomad's bound for service jobs: enough choice for good placement without scanning thousands.
   */
  readonly candidateLimit?: number | 'log2';
  readonly weights?: { readonly dataLocality?: number; readonly resourceFit?: number };
  /** Reserve calls per task before giving up with `reservation-conflict`. */
  readonly maxReserveAttempts?: number;
  /** Seed for node visiting order; fixed seeds make runs reproducible. */
  readonly seed?: number;
}

export interface CompiledSchedulerOptions {
  readonly strategy: FitStrategy;
  readonly candidateLimit: (nodeCount: number) => number;
  readonly weights: { readonly dataLocality: number; readonly resourceFit: number };
  readonly maxReserveAttempts: number;
  readonly seed: number;
}

export function compileSchedulerOptions(options: SchedulerOptions = {}): CompiledSchedulerOptions {
  const strategy = options.strategy ?? 'binpack';
  if (strategy !== 'binpack' && strategy !== 'spread') throw new InvalidRequestError('strategy', `must be binpack or spread, got ${String(strategy)}`);
  const limit = options.candidateLimit ?? 'log2';
  if (limit !== 'log2' && (!Number.isInteger(limit) || limit < 1)) {
    throw new InvalidRequestError('candidateLimit', `must be 'log2' or a positive integer, got ${String(limit)}`);
  }
  const weights = { dataLocality: options.weights?.dataLocality ?? 2, resourceFit: options.weights?.resourceFit ?? 1 };
  for (const [name, w] of Object.entries(weights)) {
    if (!Number.isFinite(w) || w < 0) throw new InvalidRequestError(`weights.${name}`, `must be a non-negative number, got ${w}`);
  }
  const maxReserveAttempts = options.maxReserveAttempts ?? 16;
  if (!Number.isInteger(maxReserveAttempts) || maxReserveAttempts < 1) {
    throw new InvalidRequestError('maxReserveAttempts', `must be a positive integer, got ${maxReserveAttempts}`);
  }
  return {
    strategy,
    candidateLimit: limit === 'log2' ? (n) => Math.max(2, Math.ceil(Math.log2(Math.max(n, 1)))) : () => limit,
    weights,
    maxReserveAttempts,
    seed: options.seed ?? Date.now() >>> 0,
  };
}
