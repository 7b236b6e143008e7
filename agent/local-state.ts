import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../plugins/sdk/atomic-file';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';

interface AgentStateFile {
  version: 1;
  /** The last desired state the server sent: run it while the server is unreachable. */
  desired: TaskAssignment__Output[];
  /** Tasks this agent started and whose volumes it attached, with the assignment they run. */
  actual: Record<string, { assignment: TaskAssignment__Output; restarts: number }>;
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
      this.desired = data.desired;
      this.actual = data.actual;
    }
  }

  save(): void {
    const data: AgentStateFile = { version: 1, desired: this.desired, actual: this.actual };
    writeFileAtomic(this.file, JSON.stringify(data));
  }
}
