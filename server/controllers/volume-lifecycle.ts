import type { ClaimState, TaskState, VolumeState } from '../store/records';

/**
 * The state machines of tasks, claims and volumes, as data: every transition a controller makes, with
 * who makes it and why. `null` stands for "no record": a `from: null` row creates the record, a
 * `to: null` row removes it. The write sites check themselves against this table (checkTransition); a
 * write the table does not know is logged as an error and still made, so the table documents the
 * code and flags drift without ever changing what the cluster does.
 */
export interface Transition<S extends string> {
  from: S | null;
  to: S | null;
  /** The controller (file under server/) that writes it. */
  by: string;
  why: string;
}

export interface Machine<S extends string> {
  states: readonly S[];
  transitions: readonly Transition<S>[];
  /** States of the type that no controller writes (kept for records written by older servers). */
  unwritten: readonly S[];
}

interface States {
  task: TaskState;
  claim: ClaimState;
  volume: VolumeState;
}
export type MachineName = keyof States;

const TASK: Machine<TaskState> = {
  states: ['pending', 'placed', 'assigned', 'running', 'failed', 'stopping'],
  unwritten: [],
  transitions: [
    { from: null, to: 'pending', by: 'controllers/apps', why: 'an instance the app wants has no task yet' },
    { from: 'pending', to: 'placed', by: 'controllers/placement', why: 'the scheduler chose a node and the ledger reserved its resources' },
    {
      from: 'placed',
      to: 'assigned',
      by: 'controllers/provisioning',
      why: 'every volume is ready (and ControllerPublished) on the node: the agent may start it',
    },
    { from: 'assigned', to: 'running', by: 'agents/node-sync', why: 'the agent reports the container running' },
    { from: 'assigned', to: 'failed', by: 'agents/node-sync', why: 'the agent reports it could not start it' },
    { from: 'running', to: 'failed', by: 'agents/node-sync', why: 'the agent reports it exited and is not running' },
    { from: 'failed', to: 'running', by: 'agents/node-sync', why: 'the agent restarted it' },
    ...(['pending', 'placed', 'assigned', 'running', 'failed'] as const).map(
      (from): Transition<TaskState> => ({ from, to: 'stopping', by: 'controllers/apps', why: 'its app was deleted or scaled down below its instance' }),
    ),
    { from: 'stopping', to: 'pending', by: 'controllers/apps', why: 'scaled back up before cleanup removed it, or rolled to a new generation' },
    ...(['placed', 'assigned', 'running', 'failed'] as const).map(
      (from): Transition<TaskState> => ({
        from,
        to: 'pending',
        by: 'controllers/apps',
        why: 'rolled to a new generation of the spec: back through placement (its volumes pin the node)',
      }),
    ),
    { from: 'stopping', to: null, by: 'controllers/cleanup', why: 'its agent stopped it (or its node is gone); the reservation is released with it' },
  ],
};

const CLAIM: Machine<ClaimState> = {
  states: ['pending', 'provisioning', 'bound', 'retained', 'releasing', 'lost'],
  // Declared, and skipped by immediate binding, but no controller marks a claim lost.
  unwritten: ['lost'],
  transitions: [
    { from: null, to: 'pending', by: 'controllers/apps', why: 'a volume template of a wanted instance has no claim yet' },
    { from: null, to: 'pending', by: 'data-protection/snapshot-restore', why: 'a restore from a recovery point: the claim names its snapshot as data source' },
    { from: null, to: 'pending', by: 'data-protection/backup-restore', why: 'a restore from a backup: the claim names the backed-up volume as data source' },
    { from: 'pending', to: 'provisioning', by: 'controllers/provisioning', why: 'the volume intent (CreateVolume name) is written for a placed task' },
    {
      from: 'pending',
      to: 'provisioning',
      by: 'controllers/immediate-binding',
      why: 'Immediate binding: the volume intent is written before any task is placed',
    },
    { from: 'provisioning', to: 'bound', by: 'controllers/provisioning', why: 'CreateVolume answered (by the server or the agent): the volume is ready' },
    { from: 'bound', to: 'retained', by: 'controllers/apps', why: 'its instance was scaled away and the app says retainOnScaleDown' },
    { from: 'retained', to: 'bound', by: 'controllers/apps', why: 'the app scaled back up: the instance comes back to its claim and volume' },
    { from: 'retained', to: 'releasing', by: 'api/cluster-service', why: 'berth delete claim: the user lets a retained claim go' },
    ...(['pending', 'provisioning', 'bound', 'retained', 'releasing'] as const).map(
      (from): Transition<ClaimState> => ({
        from,
        to: null,
        by: 'controllers/cleanup',
        why: 'no instance wants it any more: its volume is deleted or retained per the reclaim policy',
      }),
    ),
  ],
};

const VOLUME: Machine<VolumeState> = {
  states: ['creating', 'ready', 'deleting', 'released'],
  unwritten: [],
  transitions: [
    { from: null, to: 'creating', by: 'controllers/provisioning', why: 'the intent: recorded with its CreateVolume name before the plugin is asked' },
    {
      from: null,
      to: 'creating',
      by: 'controllers/immediate-binding',
      why: 'the intent of an Immediate claim, after its bytes are reserved on the chosen node',
    },
    { from: 'creating', to: 'ready', by: 'controllers/provisioning', why: 'CreateVolume answered (by the server or the agent): bound to its claim' },
    {
      from: 'creating',
      to: 'deleting',
      by: 'controllers/cleanup',
      why: 'reclaimed (Delete) before its create was confirmed: found again by its name, then deleted',
    },
    { from: 'ready', to: 'deleting', by: 'controllers/cleanup', why: 'its claim was reclaimed with policy Delete' },
    { from: 'deleting', to: null, by: 'controllers/cleanup', why: 'DeleteVolume succeeded (or no volume was ever created); its reservation is released' },
    { from: 'released', to: 'deleting', by: 'api/cluster-service', why: 'berth delete volume: the user lets a released volume go' },
    ...(['creating', 'ready', 'deleting'] as const).map(
      (from): Transition<VolumeState> => ({
        from,
        to: 'released',
        by: 'controllers/cleanup',
        why: 'its claim was reclaimed with policy Retain: kept, unbound, its space still reserved',
      }),
    ),
  ],
};

export const LIFECYCLES: { readonly [K in MachineName]: Machine<States[K]> } = { task: TASK, claim: CLAIM, volume: VOLUME };

const key = (from: string | null, to: string | null) => `${from ?? '(new)'}>${to ?? '(removed)'}`;
const allowed: { readonly [K in MachineName]: ReadonlySet<string> } = {
  task: new Set(TASK.transitions.map((t) => key(t.from, t.to))),
  claim: new Set(CLAIM.transitions.map((t) => key(t.from, t.to))),
  volume: new Set(VOLUME.transitions.map((t) => key(t.from, t.to))),
};

export function isAllowed<K extends MachineName>(machine: K, from: States[K] | null, to: States[K] | null): boolean {
  return from === to || allowed[machine].has(key(from, to));
}

/** What checkTransition needs of a logger (pino's `error`). */
export interface ErrorLog {
  error(fields: object, message: string): void;
}

/**
 * Checks a write of `id`'s state against the table. Never throws: a transition the table lacks is
 * logged as an error (a bug, or a row missing here) and the caller goes on with its write.
 */
export function checkTransition<K extends MachineName>(log: ErrorLog, machine: K, id: string, from: States[K] | null, to: States[K] | null): boolean {
  if (isAllowed(machine, from, to)) return true;
  log.error(
    { object: `${machine}/${id}`, from: from ?? '(new)', to: to ?? '(removed)' },
    `${machine} ${id}: state transition ${from ?? '(new)'} -> ${to ?? '(removed)'} is not in the lifecycle table (server/controllers/volume-lifecycle.ts)`,
  );
  return false;
}
