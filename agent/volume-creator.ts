import type { VolumeAttachment__Output } from '../proto/berth/generated/berth/agent/v1/VolumeAttachment';
import { crashPoint, pausePoint } from '../lib/failpoints/failpoints';
import type { CsiClient } from '../volumes/csi-client/client';
import { decodeCreateVolumeRequest, decodeCreateVolumeResponse } from '../volumes/csi-client/create-volume-codec';
import type { CreatedVolume } from '../proto/berth/generated/berth/agent/v1/CreatedVolume';
import type { CreatedVolumeEntry } from './local-state';

const CREATE_VOLUME = '/csi.v1.Controller/CreateVolume';
const CREATE_TIMEOUT_MS = 120_000;

/**
 * Creates the node-local volumes the server hands over with a task (VolumeAttachment.create_request):
 * the server's own CreateVolumeRequest, sent as is to the plugin's controller on this node — the call
 * the server would otherwise have made through this agent. The request names the volume, so repeating
 * it (a retry, an agent restart) returns the same volume. `known` holds answers already received, by
 * volume name; one is reused only for a request of the same name (an app deleted and applied again
 * asks for a volume of another name).
 */
export async function createVolumes(
  volumes: readonly VolumeAttachment__Output[],
  known: Record<string, CreatedVolumeEntry>,
  clientFor: (plugin: string) => CsiClient,
): Promise<VolumeAttachment__Output[]> {
  const out: VolumeAttachment__Output[] = [];
  for (const v of volumes) {
    if (!v.createRequest?.length) {
      out.push(v);
      continue;
    }
    const csiName = decodeCreateVolumeRequest(v.createRequest).name;
    const cached = known[v.name];
    let entry = cached?.csiName === csiName && typeof cached.response === 'string' ? cached : undefined;
    if (!entry) {
      await pausePoint('agent.create-volume.before-plugin'); // tests: a slow create, while the app is deleted
      const response = await clientFor(v.plugin).callSerialized(CREATE_VOLUME, v.createRequest, CREATE_TIMEOUT_MS);
      crashPoint('agent.create-volume.after-plugin'); // tests: the plugin made the volume, nobody recorded it yet
      entry = { csiName, response: response.toString('base64'), createdAtMs: Date.now() };
      known[v.name] = entry;
    }
    const created = decodeCreateVolumeResponse(Buffer.from(entry.response, 'base64')).volume;
    if (!created?.volumeId) throw new Error(`CSI plugin ${v.plugin} answered CreateVolume for volume ${v.name} without a volume id`);
    out.push({ ...v, volumeId: created.volumeId, volumeContext: created.volumeContext, createRequest: Buffer.alloc(0) });
  }
  return out;
}

/** The report of the volumes among `volumes` still to be recorded by the server (they carry a create request) that were created here. */
export function createdReports(volumes: readonly VolumeAttachment__Output[], known: Record<string, CreatedVolumeEntry>): CreatedVolume[] {
  // An entry that is not what this agent writes (a damaged state file) is left out, never thrown on.
  return volumes
    .filter((v) => v.createRequest?.length && typeof known[v.name]?.response === 'string')
    .map((v) => {
      const entry = known[v.name]!;
      return { name: v.name, response: Buffer.from(entry.response, 'base64'), csiName: entry.csiName, createdAtMs: String(entry.createdAtMs) };
    });
}
