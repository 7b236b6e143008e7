import * as grpc from '@grpc/grpc-js';
import { tokenMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { ExecResponse__Output } from '../../proto/berth/generated/berth/agent/v1/ExecResponse';
import type { NodeRecord } from '../store/records';

export interface ExecResult { exitCode: number; output: string }

/**
 * Runs a command inside a task where it runs, through the agent's AgentNode.Exec (the agent's address
 * comes from its last Sync). Rejects with a readable error when the agent cannot be reached or the task
 * is not running there; a command that ran and failed resolves with its exit code and output.
 */
export async function execInTask(node: NodeRecord, taskId: string, command: readonly string[], timeoutMs: number, token?: string): Promise<ExecResult> {
  if (!node.address) throw new Error(`node ${node.id} has no agent address`);
  const Ctl = loadAgentProto().berth.agent.v1.AgentNode;
  const client = new Ctl(node.address, grpc.credentials.createInsecure());
  try {
    const res = await new Promise<ExecResponse__Output>((resolve, reject) => client.Exec({ taskId, command: [...command], timeoutMs }, tokenMetadata(token),
      { deadline: Date.now() + timeoutMs + 10_000 },
      (err: grpc.ServiceError | null, r?: ExecResponse__Output) => (err ? reject(err) : resolve(r!))));
    return { exitCode: res.exitCode, output: res.output };
  } catch (error) {
    const e = error as grpc.ServiceError;
    throw new Error(`cannot run ${JSON.stringify(command)} in ${taskId} on node ${node.id}: ${e.details || e.message}`);
  } finally {
    client.close();
  }
}
