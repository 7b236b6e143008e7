import { status } from '@grpc/grpc-js';
import { isDeepStrictEqual } from 'node:util';
import { checkReferences, formatIssue, issueDetails, parseManifestsSafe, resolveDefaultStorageClass } from '../../core/manifests';
import type { AppManifest, AppSpec, Manifest } from '../../core/manifests';
import type { ClusterContext } from '../cluster-context';
import { AgentCallError } from '../agents/agent-call-error';
import { conflict, invalidArgument, notFound, unavailable } from '../../lib/errors';
import type { AppRecord, ClaimRecord, EventRecord, TaskRecord, VolumeRecord } from '../store/records';
import { listRecoveryPoints } from '../data-protection/recovery-points';
import type { AppDescription, AppDetail, Applied, AppSummary, NodeView, PluginView, RecoveryPointSummary, ReservationView, StorageClassView } from '../../api';

/** What each list of the API holds. */
export interface ListItems {
  apps: AppSummary;
  tasks: TaskRecord;
  nodes: NodeView;
  volumes: VolumeRecord;
  claims: ClaimRecord;
  reservations: ReservationView;
  snapshots: RecoveryPointSummary;
  storageclasses: StorageClassView;
  plugins: PluginView;
  events: EventRecord;
}
export type ListKind = keyof ListItems;

/** What a changed App may not change: a claim's identity (class, mode, size) is fixed once volumes exist. */
function volumeChangeProblem(old: AppRecord, next: AppManifest): string | undefined {
  for (const tpl of old.spec.volumes) {
    const now = next.spec.volumes.find((v) => v.name === tpl.name);
    if (!now) return `spec.volumes: volume ${tpl.name} cannot be removed from an existing app (its claims hold data); delete the app instead`;
    const a = tpl.claim;
    const b = now.claim;
    if (a.storageClass !== b.storageClass || a.volumeMode !== b.volumeMode || a.accessMode !== b.accessMode || a.sizeBytes !== b.sizeBytes) {
      return `spec.volumes.${tpl.name}.claim: storage class, size, access mode and volume mode of existing claims cannot change`;
    }
  }
  return undefined;
}

/** An app's backup policy is checked on apply and turned into a schedule after apply and app deletion (data-protection/backup-schedules.ts). */
export interface AppPolicyHooks {
  problem(app: string, spec: AppSpec): string | undefined;
  changed(): void;
}

/** The API's operations on the cluster's desired state; controllers do the rest asynchronously. */
export class ClusterService {
  constructor(
    private readonly ctx: ClusterContext,
    private readonly kick: () => void,
    private readonly policies?: AppPolicyHooks,
  ) {}

  async apply(text: string, dryRun: boolean): Promise<Applied[]> {
    const { store } = this.ctx;
    const raw = parseManifestsSafe(text);
    const issues = [...raw.issues];
    // Claims without a class get the cluster's default (a class of this input counts) before anything is checked.
    const withDefaults = issues.length === 0 ? resolveDefaultStorageClass(raw.manifests, store.storageClasses) : { manifests: raw.manifests, issues: [] };
    issues.push(...withDefaults.issues);
    const parsed = { ...raw, manifests: withDefaults.manifests };
    if (issues.length === 0) {
      const pluginsOnNodes = new Set(store.nodes.list().flatMap((n) => n.plugins.map((p) => p.name)));
      issues.push(
        ...checkReferences(parsed.manifests, {
          hasStorageClass: (n) => store.storageClasses.get(n) !== undefined,
          hasPlugin: (n) => store.plugins.get(n) !== undefined || pluginsOnNodes.has(n),
          hasSecret: (n) => store.secrets.get(n) !== undefined,
          storageClassNames: () => store.storageClasses.list().map((s) => s.name),
        }),
      );
      for (const { manifest, documentIndex } of parsed.manifests) {
        const problem = manifest.kind === 'App' ? this.policies?.problem(manifest.name, manifest.spec) : undefined;
        if (problem) issues.push({ documentIndex, object: `App/${manifest.name}`, path: 'spec.backup', message: problem });
      }
    }
    if (issues.length > 0) {
      throw invalidArgument(`invalid manifest: ${issues.length} problem(s); nothing was applied`, issueDetails(issues));
    }
    // Check every conflict before writing anything: apply is all or nothing.
    for (const { manifest } of parsed.manifests) {
      if (manifest.kind === 'StorageClass') {
        // Claims were placed and provisioned by this class's plugin and pool: moving them is not an edit.
        const old = store.storageClasses.get(manifest.name)?.spec;
        const used = store.claims.where('storageClass', manifest.name);
        if (
          old &&
          used.length > 0 &&
          (old.plugin !== manifest.spec.plugin ||
            !isDeepStrictEqual({ ...old.parameters }, { ...manifest.spec.parameters }) ||
            old.fsType !== manifest.spec.fsType)
        ) {
          throw conflict(
            `StorageClass/${manifest.name}: plugin, parameters and fsType cannot change while ${used.length} claim(s) use it (e.g. ${used[0].id})`,
          );
        }
      }
      if (manifest.kind !== 'App') continue;
      const old = store.apps.get(manifest.name);
      if (old?.deleting) throw conflict(`app ${manifest.name} is being deleted; apply again once it is gone`);
      const problem = old && volumeChangeProblem(old, manifest);
      if (problem) throw conflict(`App/${manifest.name} ${problem}`);
    }
    if (dryRun) return parsed.manifests.map(({ manifest }) => ({ kind: manifest.kind, name: manifest.name, action: this.actionFor(manifest) }));
    const applied = store.transaction(() => parsed.manifests.map(({ manifest }) => this.write(manifest)));
    for (const a of applied)
      if (a.action !== 'unchanged')
        this.ctx.event(`${a.kind.toLowerCase()}/${a.name}`, a.action === 'created' ? 'Created' : 'Updated', `${a.kind} ${a.name} ${a.action}`);
    this.policiesChanged();
    this.kick();
    return applied;
  }

  private policiesChanged(): void {
    try {
      this.policies?.changed();
    } catch (err) {
      this.ctx.log.error({ err }, 'updating backup policy schedules failed');
    }
  }

  private actionFor(m: Manifest): Applied['action'] {
    const { store } = this.ctx;
    const old =
      m.kind === 'App'
        ? store.apps.get(m.name)?.spec
        : m.kind === 'StorageClass'
          ? store.storageClasses.get(m.name)?.spec
          : m.kind === 'Plugin'
            ? store.plugins.get(m.name)?.spec
            : store.secrets.get(m.name)?.data;
    const next = m.kind === 'Secret' ? m.data.reveal() : m.spec;
    if (old === undefined) return 'created';
    return isDeepStrictEqual(JSON.parse(JSON.stringify(old)), JSON.parse(JSON.stringify(next))) ? 'unchanged' : 'updated';
  }

  private write(m: Manifest): Applied {
    const { store } = this.ctx;
    const action = this.actionFor(m);
    if (action !== 'unchanged') {
      if (m.kind === 'App') {
        const old = store.apps.get(m.name);
        store.apps.put(m.name, {
          name: m.name,
          spec: m.spec,
          generation: (old?.generation ?? 0) + 1,
          deleting: false,
          createdAt: old?.createdAt ?? new Date().toISOString(),
        });
      } else if (m.kind === 'StorageClass') store.storageClasses.put(m.name, { name: m.name, spec: m.spec });
      else if (m.kind === 'Plugin') store.plugins.put(m.name, { name: m.name, spec: m.spec });
      else store.secrets.put(m.name, { name: m.name, data: m.data.reveal() });
    }
    return { kind: m.kind, name: m.name, action };
  }

  /**
   * A blocking query: resolves once the cluster has changed past `index` (at once if it already has, or
   * if `index` is from before a server restart), after `waitMs`, or when the client goes away.
   */
  async waitPast(index: number, waitMs: number, cancelled?: AbortSignal): Promise<number> {
    const deadline = Date.now() + waitMs;
    while (this.ctx.index === index && Date.now() < deadline && !cancelled?.aborted) await this.ctx.waitForChange(deadline - Date.now(), cancelled);
    return this.ctx.index;
  }

  get index(): number {
    return this.ctx.index;
  }

  /** The list of `kind` as a JSON array when the store keeps it serialized (records listed as stored), else undefined. */
  listJson(kind: ListKind): string | undefined {
    const { store } = this.ctx;
    if (kind === 'tasks') return store.tasks.listJson();
    if (kind === 'volumes') return store.volumes.listJson();
    if (kind === 'claims') return store.claims.listJson();
    return undefined;
  }

  async list<K extends ListKind>(kind: K): Promise<ListItems[K][]> {
    const { store } = this.ctx;
    // One reader per kind, typed by ListItems (a switch could not tie each answer to its kind).
    const lists: { [L in ListKind]: () => ListItems[L][] | Promise<ListItems[L][]> } = {
      apps: () => store.apps.list().map((a) => this.appSummary(a)),
      tasks: () => store.tasks.list(),
      nodes: () =>
        store.nodes
          .list()
          .map((stored) => this.ctx.liveness.live(stored))
          .map((n) => ({
            ...n,
            pools: n.plugins.flatMap((p) => p.pools.map((pool) => ({ plugin: p.name, pool: pool.name, availableBytes: Number(pool.availableBytes) }))),
          })),
      volumes: () => store.volumes.list(),
      claims: () => store.claims.list(),
      reservations: async () =>
        (await this.ctx.ledger.list()).map((r) => ({
          holderId: r.holderId,
          nodeId: r.nodeId,
          kind: r.kind,
          cpu: r.amounts.cpuMillis / 1000,
          memoryBytes: r.amounts.memoryBytes,
          storage: r.amounts.pools.map((p) => `${p.plugin}/${p.pool}=${p.bytes}`).join(' '),
          amounts: r.amounts,
        })),
      snapshots: () => listRecoveryPoints(store),
      storageclasses: () => store.storageClasses.list().map((s) => ({ name: s.name, ...s.spec })),
      plugins: () => this.plugins(),
      events: () => store.events(undefined, 200),
    };
    return lists[kind]();
  }

  private plugins(): PluginView[] {
    const byName = new Map<string, PluginView>();
    for (const n of this.ctx.store.nodes.list()) {
      for (const p of n.plugins) {
        const e = byName.get(p.name) ?? { name: p.name, nodes: [], controllerCapabilities: p.controllerCapabilities, nodeCapabilities: p.nodeCapabilities };
        e.nodes.push(n.id);
        byName.set(p.name, e);
      }
    }
    return [...byName.values()];
  }

  private appSummary(a: AppRecord): AppSummary {
    const tasks = this.ctx.store.tasks.where('app', a.name);
    return {
      name: a.name,
      instances: a.spec.instances,
      running: tasks.filter((t) => t.state === 'running').length,
      generation: a.generation,
      state: a.deleting
        ? 'deleting'
        : tasks.every((t) => t.state === 'running') && tasks.length === a.spec.instances
          ? 'running'
          : a.rolloutStalled?.generation === a.generation
            ? 'stalled'
            : 'progressing',
      spec: a.spec,
    };
  }

  async getApp(name: string): Promise<AppDetail> {
    const app = this.ctx.store.apps.get(name);
    if (!app) throw notFound(`app ${name} not found`);
    return { ...this.appSummary(app), createdAt: app.createdAt };
  }

  async describeApp(name: string): Promise<AppDescription> {
    const { store } = this.ctx;
    const app = store.apps.get(name);
    if (!app) throw notFound(`app ${name} not found`);
    const claims = store.claims.where('app', name);
    const isTaskOf = new RegExp(`^task/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
    const volumeIds = new Set(claims.map((c) => c.volumeId));
    return {
      app,
      tasks: store.tasks.where('app', name).sort((a, b) => a.instance - b.instance),
      claims,
      volumes: store.volumes.list().filter((v) => volumeIds.has(v.id)),
      // Exactly this app's objects: `task/pg-1` is pg's, `task/pg-x-0` belongs to app pg-x.
      events: store
        .events(undefined, 1000)
        .filter((e) => e.object === `app/${name}` || isTaskOf.test(e.object) || e.object.startsWith(`claim/${name}/`))
        .slice(-50),
    };
  }

  async deleteApp(name: string): Promise<string> {
    const { store } = this.ctx;
    const app = store.apps.get(name);
    if (!app) throw notFound(`app ${name} not found`);
    if (!app.deleting) {
      store.apps.put(name, { ...app, deleting: true });
      this.ctx.event(`app/${name}`, 'Deleting', `deleting app ${name}: stopping tasks, then volumes per reclaim policy`);
    }
    this.policiesChanged();
    this.kick();
    return `app ${name} is being deleted`;
  }

  async deleteStorageClass(name: string): Promise<string> {
    const { store } = this.ctx;
    if (!store.storageClasses.get(name)) throw notFound(`storage class ${name} not found`);
    const users = store.claims.where('storageClass', name);
    if (users.length > 0) throw conflict(`storage class ${name} is used by ${users.length} claim(s) (e.g. ${users[0].id})`);
    store.storageClasses.delete(name);
    return `storage class ${name} deleted`;
  }

  async scaleApp(name: string, instances: number): Promise<string> {
    const { store } = this.ctx;
    const app = store.apps.get(name);
    if (!app) throw notFound(`app ${name} not found`);
    if (app.deleting) throw conflict(`app ${name} is being deleted`);
    if (app.spec.instances !== instances) {
      // Scaling changes how many instances run, not what they run: the generation stays.
      store.apps.put(name, { ...app, spec: { ...app.spec, instances } });
      this.ctx.event(`app/${name}`, 'Scaled', `scaled ${name} from ${app.spec.instances} to ${instances}`);
    }
    this.kick();
    return `app ${name} scaled to ${instances}`;
  }

  async taskLogs(taskId: string, tail?: number, sinceMs?: number): Promise<string> {
    const task = this.ctx.store.tasks.get(taskId);
    if (!task) throw notFound(`task ${taskId} not found`);
    const node = task.nodeId ? this.ctx.store.nodes.get(task.nodeId) : undefined;
    if (!node?.address) throw unavailable(`task ${taskId} has no node to read logs from`);
    try {
      return await this.ctx.links.get(node).logs(taskId, tail ?? 0, sinceMs ?? 0);
    } catch (error) {
      // Whatever else went wrong, the logs are out of reach: the task exists, its node does not answer.
      if (error instanceof AgentCallError && error.status === status.NOT_FOUND)
        throw notFound(`task ${taskId} has no logs on node ${node.id}: ${error.reason}`);
      throw unavailable(error instanceof Error ? error.message : String(error));
    }
  }
}

export { formatIssue };
