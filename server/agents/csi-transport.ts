import * as grpc from '@grpc/grpc-js';
import { tokenMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { CsiCallResponse__Output } from '../../proto/berth/generated/berth/agent/v1/CsiCallResponse';
import type { AgentNodeClient } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { CsiTransport } from '../../volumes/csi-client/client';
import { CsiCallError } from '../../volumes/csi-client/errors';

/**
 * How the server reaches the controller of a node-local plugin: its unix socket exists only on that
 * node, so each CSI call travels, serialized, through the node's agent (AgentNode.CsiCall), which
 * hands it to the plugin and returns the plugin's answer or status unchanged. Same protocol, same
 * bytes as a direct call; only the hop differs, so it works the same on one host or many.
 */
export class AgentCsiChannel {
  private readonly client: AgentNodeClient;

  constructor(readonly address: string, private readonly token: string | undefined) {
    const Ctl = loadAgentProto().berth.agent.v1.AgentNode;
    this.client = new Ctl(address, grpc.credentials.createInsecure());
  }

  /** A CsiClient transport for one plugin on this agent's node; `label` names it in errors. */
  transportFor(plugin: string, label: string): CsiTransport {
    return (methodPath, request, timeoutMs) => new Promise((resolve, reject) => {
      const method = methodPath.slice(methodPath.lastIndexOf('/') + 1);
      // A little longer than the plugin's deadline, so the plugin's own DEADLINE_EXCEEDED comes back when it is the one that is late.
      this.client.CsiCall({ plugin, methodPath, request, timeoutMs }, tokenMetadata(this.token), { deadline: Date.now() + timeoutMs + 5_000 },
        (err: grpc.ServiceError | null, res?: CsiCallResponse__Output) => {
          if (err) reject(new CsiCallError(label, method, err.code, err.details || err.message));
          else resolve(res!.response);
        });
    });
  }

  close(): void {
    this.client.close();
  }
}
