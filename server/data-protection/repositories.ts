import { Repository, RepositoryExistsError, RepositoryNotFoundError, UnsupportedFormatError, WrongPassphraseError } from '../../backup/repository';
import type { ClusterContext } from '../cluster-context';
import { conflict, invalidArgument, notFound, rephrase } from '../../lib/errors';
import type { RepositoryRecord } from '../store/records';

const REPOSITORY_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What the API shows of a repository: never the passphrase. */
export interface RepositoryView {
  name: string;
  location: string;
  repositoryId: string;
  createdAt: string;
}

const view = (r: RepositoryRecord): RepositoryView => ({ name: r.name, location: r.location, repositoryId: r.repositoryId, createdAt: r.createdAt });

/**
 * Repository errors in the words of this cluster: the library's code (and so the answer's status) is
 * kept, the message says how to fix it here (`berth repo add … --init`, not `berth repo init`).
 */
export function repositoryProblem(error: unknown, location: string): unknown {
  if (error instanceof WrongPassphraseError) return rephrase(error, `wrong passphrase for the backup repository at ${location}`);
  if (error instanceof RepositoryNotFoundError)
    return rephrase(error, `no backup repository at ${location} (create one with \`berth repo init --location ${location}\` or add it with --init)`);
  if (error instanceof RepositoryExistsError) return rephrase(error, `a backup repository already exists at ${location}; add it without --init`);
  if (error instanceof UnsupportedFormatError)
    return rephrase(error, `the backup repository at ${location} has a format this server does not read: ${error.message}`);
  return error;
}

/**
 * The backup repositories this cluster knows (name → location + passphrase). The server opens each
 * to validate it when it is added and keeps the open handle: deriving the key is deliberately slow.
 * Agents get location and passphrase with each data-mover request; the location must be the same
 * path on every node that moves data (a local disk on one node, or a share mounted everywhere).
 */
export class Repositories {
  private readonly open = new Map<string, Promise<Repository>>();

  constructor(private readonly ctx: ClusterContext) {}

  list(): RepositoryView[] {
    return this.ctx.store.repositories.list().map(view);
  }

  get(name: string): RepositoryRecord {
    const r = this.ctx.store.repositories.get(name);
    if (!r) throw notFound(`backup repository ${name} is not known to this cluster (add it with \`berth repo add ${name} --location PATH\`)`);
    return r;
  }

  /** The repository to use when a request names none: the only one, or the one named `default`. */
  defaultName(): string {
    const all = this.ctx.store.repositories.list();
    if (all.length === 1) return all[0].name;
    if (all.some((r) => r.name === 'default')) return 'default';
    throw all.length === 0
      ? invalidArgument('no backup repository is configured: add one with `berth repo add NAME --location PATH`')
      : invalidArgument(`several backup repositories are configured (${all.map((r) => r.name).join(', ')}): choose one with --repository`);
  }

  /** Finds a repository by name, or by location (`--location PATH` on the CLI). */
  resolve(nameOrLocation: string | undefined): RepositoryRecord {
    if (!nameOrLocation) return this.get(this.defaultName());
    const byLocation = this.ctx.store.repositories.list().find((r) => r.location === nameOrLocation);
    if (!byLocation && nameOrLocation.startsWith('/')) {
      throw notFound(`no backup repository at ${nameOrLocation} is known to this cluster (add it with \`berth repo add NAME --location ${nameOrLocation}\`)`);
    }
    return byLocation ?? this.get(nameOrLocation);
  }

  /**
   * Adds a repository (creating it with `init`). Idempotent: adding the same name for the same
   * repository again only updates the passphrase; a name already used for another one is refused.
   */
  async add(input: { name: string; location: string; passphrase: string; init?: boolean }): Promise<RepositoryView> {
    if (!REPOSITORY_NAME.test(input.name))
      throw invalidArgument(`invalid repository name ${JSON.stringify(input.name)}: lowercase letters, digits and '-', at most 63`);
    if (!input.location.startsWith('/') || input.location.split('/').includes('..')) {
      throw invalidArgument(`repository location must be an absolute path without '..', got ${JSON.stringify(input.location)}`);
    }
    if (!input.passphrase) throw invalidArgument('passphrase is required');
    let repo: Repository;
    try {
      repo = input.init ? await Repository.init(input.location, input.passphrase) : await Repository.open(input.location, input.passphrase);
    } catch (error) {
      throw repositoryProblem(error, input.location);
    }
    const existing = this.ctx.store.repositories.get(input.name);
    if (existing && (existing.location !== input.location || existing.repositoryId !== repo.id)) {
      throw conflict(`repository name ${input.name} is already used for ${existing.location} (repository ${existing.repositoryId})`);
    }
    const other = this.ctx.store.repositories.list().find((r) => r.name !== input.name && r.repositoryId === repo.id);
    if (other) throw conflict(`this repository is already added as ${other.name}`);
    const record: RepositoryRecord = {
      name: input.name,
      location: input.location,
      passphrase: input.passphrase,
      repositoryId: repo.id,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    this.ctx.store.repositories.put(input.name, record);
    this.open.set(input.name, Promise.resolve(repo));
    if (!existing)
      this.ctx.event(`repository/${input.name}`, input.init ? 'Created' : 'Added', `backup repository ${input.name} at ${input.location} (${repo.id})`);
    return view(record);
  }

  /** Forgets a repository (its backups stay in it); refused while a schedule or a running backup uses it. */
  remove(name: string): string {
    this.get(name);
    const schedule = this.ctx.store.schedules.list().find((s) => s.repository === name);
    if (schedule) throw conflict(`schedule ${schedule.name} backs up into repository ${name}; delete it first`);
    const running = this.ctx.store.backups.list().find((b) => b.repository === name && (b.state === 'snapshotting' || b.state === 'uploading'));
    if (running) throw conflict(`backup ${running.id} is running into repository ${name}`);
    const restoring = this.ctx.store.restores.list().find((r) => r.source.kind === 'backup' && r.source.repository === name && r.state === 'restoring');
    if (restoring) throw conflict(`restore ${restoring.id} of app ${restoring.app} reads from repository ${name}`);
    this.ctx.store.transaction(() => {
      for (const b of this.ctx.store.backups.list()) if (b.repository === name) this.ctx.store.backups.delete(b.id);
      this.ctx.store.repositories.delete(name);
    });
    this.open.delete(name);
    this.ctx.event(`repository/${name}`, 'Removed', `backup repository ${name} removed from the cluster (its data is untouched)`);
    return `repository ${name} removed from the cluster; its backups stay in the repository`;
  }

  /** An open handle on the repository (opened once; a changed passphrase or location reopens it). */
  async handle(name: string): Promise<Repository> {
    const record = this.get(name);
    let p = this.open.get(name);
    if (!p) {
      p = Repository.open(record.location, record.passphrase);
      this.open.set(name, p);
      p.catch(() => this.open.delete(name));
    }
    try {
      return await p;
    } catch (error) {
      throw repositoryProblem(error, record.location);
    }
  }
}
