import type { ClusterContext } from '../cluster-context';
import type { ClusterStore, StoreChange } from '../store/cluster-store';
import { claimIdOf, taskIdOf } from '../store/naming';
import type { AppRecord, ClaimRecord, TaskRecord } from '../store/records';
import { Controller } from './runtime/controller';
import { checkTransition } from './volume-lifecycle';
import { nextRolloutStep } from './rollout';

/**
 * The apps controller (key: app name). Desired instances → tasks and claims: instance i gets task
 * `<app>-i` and claim `<app>/<volume>/i` for every volume template. Instances past the desired count
 * are stopped; their claims are kept (retainOnScaleDown) or left to the reclaim controller. A changed
 * spec rolls running instances one at a time. An app being deleted has its tasks stopped and goes
 * once its last task and claim are gone.
 */
export function appsController(ctx: ClusterContext): Controller {
  const controller: Controller = new Controller({
    name: 'apps',
    registry: ctx.controllers,
    store: ctx.store,
    log: ctx.log,
    kinds: ['app', 'task', 'claim'],
    keysOf: (change) => appsTouchedBy(ctx.store, change),
    // Apps are independent of each other: several syncs of one moment share a group commit. An app with
    // more to create than one sync may write is queued again: its next batch comes after a commit, with
    // the event loop free in between.
    sync: async (name) => {
      const more = await ctx.store.commitSoon(() => syncApp(ctx, name, (ms) => controller.enqueueAfter(name, ms)));
      if (more) controller.enqueue(name);
    },
    queue: { concurrency: 16 },
  });
  return controller;
}

/**
 * Records (tasks and claims) one sync of an app creates at most, so 10,000 instances do not arrive in one
 * synchronous write (a few milliseconds of puts per batch); an app of up to 50 instances with one volume is created in one sync.
 */
export const CREATE_BATCH = 100;

/** The apps a change asks to look at again: the app itself, and its tasks' or claims' comings and goings and state moves. */
function appsTouchedBy(store: ClusterStore, change: StoreChange): string[] {
  switch (change.kind) {
    case 'app':
      return [change.id];
    case 'task': {
      const { before, after } = change;
      const task = after ?? before;
      if (!task) return [];
      // Only what the app acts on: a task gone or new, stopped, rolled, or reaching or leaving running or
      // changing readiness while a roll may wait for it — not placed/assigned steps, restarts or messages.
      const moved = !before || !after || before.stopped !== after.stopped || before.generation !== after.generation;
      const runningMoved = before?.state !== after?.state && (before?.state === 'running' || after?.state === 'running');
      const readinessMoved = before?.health !== after?.health;
      return moved || ((runningMoved || readinessMoved) && mayBeRolling(store.apps.get(task.app), task)) ? [task.app] : [];
    }
    case 'claim':
      return change.after && change.before ? [] : [(change.after ?? change.before)!.app];
    default:
      return [];
  }
}

/**
 * Whether a running or readiness move of `task` can matter to a roll of its app (rollOne waits for the
 * instances on the newest generation): only in an app that was changed after its first apply, for a
 * task on that newest generation. The thousands of tasks of a fresh apply reaching running ask nothing
 * of the app.
 */
function mayBeRolling(app: AppRecord | undefined, task: TaskRecord): boolean {
  return app !== undefined && app.generation > 1 && task.generation === app.generation;
}

/** Moves the app one step; true when it has more to create than one sync writes (CREATE_BATCH). */
function syncApp(ctx: ClusterContext, name: string, recheckAfter: (ms: number) => void): boolean {
  const { store } = ctx;
  const app = store.apps.get(name);
  if (!app) return false;
  if (app.deleting) {
    const live = store.tasks.where('app', app.name).filter((x) => x.state !== 'stopping');
    for (const t of live.slice(0, CREATE_BATCH)) stopTask(ctx, t, 'app deleted');
    if (live.length > CREATE_BATCH) return true;
    if (store.tasks.where('app', app.name).length > 0 || store.claims.where('app', app.name).length > 0) return false;
    store.apps.delete(app.name);
    ctx.event(`app/${app.name}`, 'Deleted', `app ${app.name} deleted`);
    return false;
  }
  if (ensureInstances(ctx, app)) return true;
  rollOne(ctx, app, recheckAfter);
  return false;
}

function stopTask(ctx: ClusterContext, task: TaskRecord, why: string): void {
  checkTransition(ctx.log, 'task', task.id, task.state, 'stopping');
  ctx.store.tasks.put(task.id, { ...task, state: 'stopping', message: why, updatedAt: new Date().toISOString() });
  ctx.event(`task/${task.id}`, 'Stopping', `stopping task ${task.id}: ${why}`);
}

/** Creates what the desired instances lack, at most CREATE_BATCH records; true when it stopped with more to do. */
function ensureInstances(ctx: ClusterContext, app: AppRecord): boolean {
  const { store } = ctx;
  const now = new Date().toISOString();
  let written = 0;
  for (let i = 0; i < app.spec.instances; i++) {
    if (written >= CREATE_BATCH) return true;
    let waitingForRelease = false;
    for (const tpl of app.spec.volumes) {
      const id = claimIdOf(app.name, tpl.name, i);
      const existing = store.claims.get(id);
      if (existing?.state === 'releasing') {
        // Let go by the user just before this scale-up: the instance waits until that claim is gone
        // (its removal looks at this app again) and then starts on a fresh one.
        waitingForRelease = true;
        continue;
      }
      if (existing) {
        if (isRetained(existing)) {
          checkTransition(ctx.log, 'claim', id, 'retained', 'bound');
          const { retained: _legacy, ...claim } = existing;
          store.claims.put(id, { ...claim, state: 'bound' });
        }
        continue;
      }
      const claim: ClaimRecord = {
        id,
        app: app.name,
        template: tpl.name,
        instance: i,
        storageClass: tpl.claim.storageClass,
        sizeBytes: tpl.claim.sizeBytes,
        accessMode: tpl.claim.accessMode,
        volumeMode: tpl.claim.volumeMode,
        state: 'pending',
        ...(tpl.claim.dataSource ? { dataSource: { kind: tpl.claim.dataSource.kind, id: tpl.claim.dataSource.id } } : {}),
      };
      checkTransition(ctx.log, 'claim', id, null, claim.state);
      store.claims.put(id, claim);
      written++;
    }
    if (waitingForRelease) continue;
    const taskId = taskIdOf(app.name, i);
    const task = store.tasks.get(taskId);
    if (!task) {
      checkTransition(ctx.log, 'task', taskId, null, 'pending');
      store.tasks.put(taskId, {
        id: taskId,
        app: app.name,
        instance: i,
        generation: app.generation,
        spec: app.spec,
        state: 'pending',
        restarts: 0,
        updatedAt: now,
      });
      ctx.event(`task/${taskId}`, 'Created', `instance ${i} of ${app.name} wants to run`);
      written++;
    } else if (task.state === 'stopping' && task.stopped) {
      // Scaled down and back up before cleanup finished: start again (same claims, same node if bound).
      checkTransition(ctx.log, 'task', taskId, task.state, 'pending');
      store.tasks.put(taskId, { ...task, state: 'pending', stopped: false, generation: app.generation, spec: app.spec, message: undefined, updatedAt: now });
      written++;
    }
  }
  const extra = store.tasks.where('app', app.name).filter((t) => t.instance >= app.spec.instances && t.state !== 'stopping');
  for (const task of extra.slice(0, CREATE_BATCH - written)) stopTask(ctx, task, `scaled down to ${app.spec.instances}`);
  if (extra.length > CREATE_BATCH - written) return true;
  // Only a bound claim has a volume worth keeping; the others are left to the reclaim controller.
  if (!app.spec.retainOnScaleDown) return false;
  for (const claim of store.claims.where('app', app.name).filter((c) => c.instance >= app.spec.instances && c.state === 'bound' && !isRetained(c))) {
    checkTransition(ctx.log, 'claim', claim.id, claim.state, 'retained');
    store.claims.put(claim.id, { ...claim, state: 'retained' });
    ctx.event(
      `claim/${claim.id}`,
      'Retained',
      `instance ${claim.instance} of ${app.name} scaled away: claim and volume ${claim.volumeId ?? ''} kept (retainOnScaleDown)`,
    );
  }
  return false;
}

/**
 * Rolling update (controllers/rollout.ts): one instance at a time, the next once the one before is
 * ready, stopped when one is not ready within the progress deadline. The task keeps its node (its
 * volumes live there).
 */
function rollOne(ctx: ClusterContext, app: AppRecord, recheckAfter: (ms: number) => void): void {
  const step = nextRolloutStep(app, ctx.store.tasks.where('app', app.name), Date.now());
  if (step.kind === 'wait' && step.recheckInMs !== undefined) recheckAfter(step.recheckInMs);
  if (step.kind === 'stall') {
    ctx.store.apps.put(app.name, { ...app, rolloutStalled: { generation: app.generation, message: step.why } });
    ctx.event(`app/${app.name}`, 'RolloutStalled', step.why);
  }
  if (step.kind !== 'roll') return;
  const old = step.task;
  const now = new Date().toISOString();
  // Back through placement: bound volumes pin it to its node, and a changed cpu/memory is re-reserved there.
  checkTransition(ctx.log, 'task', old.id, old.state, 'pending');
  const { health: _health, ...rest } = old;
  ctx.store.tasks.put(old.id, { ...rest, generation: app.generation, spec: app.spec, state: 'pending', rolledAt: now, updatedAt: now });
  ctx.event(`task/${old.id}`, 'Rolling', `rolling ${old.id} to generation ${app.generation}`);
}

/** Kept after its instance was scaled away: the state, or the flag older records carry. */
export function isRetained(claim: ClaimRecord): boolean {
  return claim.state === 'retained' || (claim.state === 'bound' && claim.retained === true);
}
