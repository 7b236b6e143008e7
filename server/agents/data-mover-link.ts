import * as grpc from '@grpc/grpc-js';
import { MOVER_STALL_MS, type BackupVolumeResult, type RestoreVolumeResult } from '../../agent/data-mover-types';
import { tokenMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { BackupVolumeRequest } from '../../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import type { DataMoverProgress__Output } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { RestoreVolumeRequest } from '../../proto/berth/generated/berth/agent/v1/RestoreVolumeRequest';
import type { NodeRecord } from '../store/records';

export interface MoverProgress { bytesDone: number; bytesTotal: number; filesDone: number }

/** A data-mover call that failed: the gRPC status (DATA_LOSS, FAILED_PRECONDITION…) and the agent's message. */
export class DataMoverError extends Error {
  constructor(readonly code: grpc.status, readonly nodeId: string, message: string) {
    super(message);
    this.name = 'DataMoverError';
  }
}

/**
 * Calls one of the agent's streaming data-mover RPCs and resolves with the parsed result of the final
 * message. `signal` cancels the call (the agent then aborts and cleans up). A call silent for `stallMs`
 * (the agent repeats its progress every MOVER_HEARTBEAT_MS) fails UNAVAILABLE: its node lost power or
 * its network, and waiting would hold the backup — and the repository lock that blocks prune — forever.
 */
export function callMover<T>(node: NodeRecord, method: 'BackupVolume' | 'RestoreVolume', request: BackupVolumeRequest | RestoreVolumeRequest,
  onProgress: (p: MoverProgress) => void, token?: string, signal?: AbortSignal, stallMs = MOVER_STALL_MS): Promise<T> {
  if (!node.address) return Promise.reject(new DataMoverError(grpc.status.UNAVAILABLE, node.id, `node ${node.id} has no agent address`));
  const Ctl = loadAgentProto().berth.agent.v1.AgentNode;
  const client = new Ctl(node.address, grpc.credentials.createInsecure());
  return new Promise<T>((resolve, reject) => {
    let result: T | undefined;
    const call = method === 'BackupVolume'
      ? client.BackupVolume(request as BackupVolumeRequest, tokenMetadata(token))
      : client.RestoreVolume(request as RestoreVolumeRequest, tokenMetadata(token));
    const abort = () => call.cancel();
    signal?.addEventListener('abort', abort, { once: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const watch = () => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => { stalled = true; call.cancel(); }, stallMs);
    };
    watch();
    call.on('data', (m: DataMoverProgress__Output) => {
      watch();
      const progress = { bytesDone: Number(m.bytesDone), bytesTotal: Number(m.bytesTotal), filesDone: Number(m.filesDone) };
      onProgress(progress);
      if (m.done) {
        try {
          result = JSON.parse(m.resultJson) as T;
        } catch {
          reject(new DataMoverError(grpc.status.INTERNAL, node.id, `${method} on node ${node.id} answered an unreadable result`));
        }
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      clearTimeout(watchdog);
      signal?.removeEventListener('abort', abort);
      client.close();
      if (stalled) reject(new DataMoverError(grpc.status.UNAVAILABLE, node.id, `${method} on node ${node.id}: no word from its agent for ${Math.round(stallMs / 1000)} s; the node or its agent is gone`));
      else reject(new DataMoverError(e.code, node.id, `${method} on node ${node.id}: ${e.details || e.message}`));
    });
    call.on('end', () => {
      clearTimeout(watchdog);
      signal?.removeEventListener('abort', abort);
      client.close();
      if (result !== undefined) resolve(result);
      else reject(new DataMoverError(grpc.status.INTERNAL, node.id, `${method} on node ${node.id} ended without a result`));
    });
  });
}

/** Moves one snapshot into the repository on the node that can read it. */
export function backupVolumeOnNode(node: NodeRecord, request: BackupVolumeRequest, onProgress: (p: MoverProgress) => void,
  token?: string, signal?: AbortSignal): Promise<BackupVolumeResult> {
  return callMover<BackupVolumeResult>(node, 'BackupVolume', request, onProgress, token, signal);
}

/** Writes one backed-up volume into a volume provisioned on `node`. */
export function restoreVolumeOnNode(node: NodeRecord, request: RestoreVolumeRequest, onProgress: (p: MoverProgress) => void,
  token?: string, signal?: AbortSignal): Promise<RestoreVolumeResult> {
  return callMover<RestoreVolumeResult>(node, 'RestoreVolume', request, onProgress, token, signal);
}
