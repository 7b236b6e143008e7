/**
 * Every failpoint in Berth, by name. A name reads `<process>.<operation>.<moment>`. Armed through
 * `BERTH_FAILPOINTS` (see parse.ts), a point does one of two things, fixed here per point:
 *   crash — the process SIGKILLs itself there, the same as a power cut at that line, so a recovery test
 *           can prove the restart path resolves the half-finished operation;
 *   pause — the process waits the armed milliseconds there, so a race or kill test can act while the
 *           step is under way.
 * Points whose `subject` is named fire only for that subject when armed as `name@subject` (an app).
 * Unarmed, every point is a no-op: production never sets the variable.
 */
export interface FailpointSpec {
  readonly action: 'crash' | 'pause';
  /** What is true of the world when the point is reached (why a test arms it). */
  readonly moment: string;
  /** What `@subject` names at this point, when it takes one. */
  readonly subject?: string;
}

export const FAILPOINTS = {
  'server.create-volume.after-plugin': { action: 'crash', moment: 'the plugin made the volume; the server records do not know it yet' },
  'server.backup.before-upload': { action: 'pause', moment: 'a backup is in `uploading` and has moved no data yet', subject: 'app' },
  'server.restore.before-mover': { action: 'pause', moment: 'a volume restore is marked running; the data mover is not called yet', subject: 'app' },
  'agent.create-volume.before-plugin': { action: 'pause', moment: 'the agent is about to call CreateVolume for a task’s claim' },
  'agent.create-volume.after-plugin': { action: 'crash', moment: 'the plugin made the volume; nobody recorded it yet' },
  'local.create-volume.after-subvolume': { action: 'crash', moment: 'berth.local made the subvolume; its record still says creating' },
  'nfs.create-volume.after-subvolume': { action: 'crash', moment: 'berth.nfs made the subvolume; its record still says creating' },
  'nfs.create-volume.before-export': { action: 'crash', moment: 'berth.nfs recorded the volume ready; ganesha does not export it yet' },
  'iscsi.create-volume.after-file': { action: 'crash', moment: 'berth.iscsi made the backing file; no target exists yet' },
  'iscsi.create-volume.after-target': { action: 'crash', moment: 'berth.iscsi made the target; its record still says creating' },
} as const satisfies Record<string, FailpointSpec>;

export type FailpointName = keyof typeof FAILPOINTS;
type PointsWith<A extends FailpointSpec['action']> = { [K in FailpointName]: (typeof FAILPOINTS)[K]['action'] extends A ? K : never }[FailpointName];
export type CrashPointName = PointsWith<'crash'>;
export type PausePointName = PointsWith<'pause'>;

export function isFailpointName(name: string): name is FailpointName {
  return Object.hasOwn(FAILPOINTS, name);
}
