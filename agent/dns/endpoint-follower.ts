import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Endpoint } from '../../core/domain';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { fromWireEndpoint } from '../../proto/berth/endpoints-wire';
import type { EndpointsRequest } from '../../proto/berth/generated/berth/agent/v1/EndpointsRequest';
import type { EndpointsResponse__Output } from '../../proto/berth/generated/berth/agent/v1/EndpointsResponse';
import type { AgentCredentials } from '../node-credentials';

/** How long the server may hold a call when nothing changed (it holds no longer than a Sync). */
const LONG_POLL_MS = 30_000;
const RETRY_MS = 1000;
/** A server without the Endpoints call (older) is asked again this rarely. */
const UNIMPLEMENTED_RETRY_MS = 60_000;

type EndpointsCall = (
  request: EndpointsRequest,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: EndpointsResponse__Output) => void,
) => grpc.ClientUnaryCall;

/**
 * Follows the cluster's endpoints by long-polling the server's Endpoints call with this node's
 * credentials: a change reaches `changed` as soon as the server commits it. While the server is out
 * of reach the last endpoints stay (as the last desired state does).
 */
export class EndpointFollower {
  private stopped = false;
  private inflight: grpc.ClientUnaryCall | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fingerprint = '';
  private failing: string | undefined;

  constructor(
    private readonly client: grpc.Client,
    private readonly nodeId: string,
    private readonly credentials: AgentCredentials,
    private readonly changed: (endpoints: Endpoint[]) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.cancel();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    let again = 0;
    // Until the node has joined (its Sync loop joins), there is nothing to ask with.
    if (!this.credentials.nodeSecret) again = RETRY_MS;
    else {
      try {
        const res = await this.call();
        if (res.fingerprint !== this.fingerprint) {
          this.fingerprint = res.fingerprint;
          this.changed(res.endpoints.map(fromWireEndpoint));
        }
        if (this.failing) this.log.info('endpoints reachable again');
        this.failing = undefined;
      } catch (error) {
        const e = error as grpc.ServiceError;
        if (e.code !== grpc.status.CANCELLED) {
          // Said once per kind of failure, not every second.
          if (this.failing !== e.details) this.log.warn({ err: e.details || e.message }, 'cannot follow endpoints; DNS answers from the last ones known');
          this.failing = e.details;
          again = e.code === grpc.status.UNIMPLEMENTED ? UNIMPLEMENTED_RETRY_MS : RETRY_MS;
        }
      }
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), again);
  }

  private call(): Promise<EndpointsResponse__Output> {
    const call = (this.client as unknown as { Endpoints: EndpointsCall }).Endpoints.bind(this.client);
    return new Promise((resolve, reject) => {
      this.inflight = call(
        { nodeId: this.nodeId, waitMs: LONG_POLL_MS, knownFingerprint: this.fingerprint },
        bearerMetadata(this.credentials.nodeSecret),
        { deadline: Date.now() + LONG_POLL_MS + 10_000 },
        (err, res) => {
          this.inflight = undefined;
          if (err) reject(err);
          else resolve(res!);
        },
      );
    });
  }
}
