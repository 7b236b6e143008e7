import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/files/atomic-file';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';

interface AgentStateFile {
  version: 1;
  /** The last desired state the server sent: run it while the server is unreachable. */
  desired: TaskAssignment__Output[];
  /**
   * Tasks this agent started and whose volumes it attached, with the assignment they run (volumes the
   * agent created filled in) and the plugin's answers for those volumes.
   */
  actual: Record<string, ActualTask>;
}

/** A volume this agent created (VolumeAttachment.create_request): the plugin's answer, kept until the server recorded it. */
export interface CreatedVolumeEntry {
  /** The CreateVolumeRequest's name: the answer belongs to that intent only. */
  csiName: string;
  /** The serialized CreateVolumeResponse, base64. */
  response: string;
  /** When the plugin answered (this agent's clock). */
  createdAtMs: number;
}

export interface ActualTask {
  assignment: TaskAssignment__Output;
  restarts: number;
  /** By volume name. */
  created?: Record<string, CreatedVolumeEntry>;
}

/**
 * An assignment as read back from JSON: bytes fields come back as {type:'Buffer', data} and fields
 * newer than the file are missing; both are given their protobuf shape again.
 */
function revive(a: TaskAssignment__Output): TaskAssignment__Output {
  const bytes = (v: unknown): Buffer => {
    if (Buffer.isBuffer(v)) return v;
    const data = (v as { data?: unknown } | undefined)?.data;
    return Array.isArray(data) ? Buffer.from(data as number[]) : Buffer.alloc(0);
  };
  return {
    ...a,
    prepareOnly: Boolean(a.prepareOnly),
    stop: a.stop ?? null,
    user: a.user ?? '',
    fsGroup: a.fsGroup ?? '',
    ports: a.ports ?? [],
    nodeAddress: a.nodeAddress ?? '',
    volumes: (a.volumes ?? []).map((v) => ({ ...v, createRequest: bytes(v.createRequest), owner: v.owner ?? '' })),
  };
}

/** The agent's own durable memory, so a restart re-adopts tasks and can detach what it attached. */
export class AgentLocalState {
  private readonly file: string;
  desired: TaskAssignment__Output[] = [];
  actual: AgentStateFile['actual'] = {};

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'agent-state.json');
    if (existsSync(this.file)) {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as AgentStateFile;
      this.desired = data.desired.map(revive);
      this.actual = Object.fromEntries(Object.entries(data.actual).map(([id, e]) => [id, { ...e, assignment: revive(e.assignment) }]));
    }
  }

  save(): void {
    const data: AgentStateFile = { version: 1, desired: this.desired, actual: this.actual };
    writeFileAtomic(this.file, JSON.stringify(data));
  }
}
