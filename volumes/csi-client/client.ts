import * as grpc from '@grpc/grpc-js';
import { loadCsi } from '../../proto/csi/load';
import { CsiCallError } from './errors';
import type { ControllerMethods, GroupControllerMethods, IdentityMethods, NodeMethods, MethodMap } from './methods';

export interface CsiClientOptions {
  /** Default deadline of every call; CSI operations that touch disks can take seconds. */
  timeoutMs?: number;
  /**
   * Carries each serialized call somewhere else instead of dialing `endpoint` (the server reaches a
   * node-local plugin through that node's agent). Rejects with a CsiCallError carrying the plugin's status.
   */
  transport?: CsiTransport;
}

/** Sends one serialized CSI request to `methodPath` and resolves with the serialized response. */
export type CsiTransport = (methodPath: string, request: Buffer, timeoutMs: number) => Promise<Buffer>;

/** Byte-for-byte pass-through (the agent forwards requests it does not need to decode). */
const passThrough = (b: Buffer): Buffer => b;

export interface CallOptions {
  timeoutMs?: number;
}

/** `unix:///run/x.sock`, `unix:/run/x.sock`, `/run/x.sock` or `host:port`. */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

type ServiceName = 'Identity' | 'Controller' | 'Node' | 'GroupController';

/**
 * A promise-based client for one CSI plugin endpoint. Each service is a typed `call` function:
 * `client.controller('CreateVolume', req)` resolves with the decoded response or rejects with a
 * CsiCallError naming the method and status. One channel serves all services of the endpoint.
 */
export class CsiClient {
  private readonly channel: grpc.Client | undefined;
  private readonly timeoutMs: number;
  private readonly transport: CsiTransport | undefined;

  constructor(
    readonly endpoint: string,
    options: CsiClientOptions = {},
  ) {
    this.transport = options.transport;
    this.channel = this.transport ? undefined : new grpc.Client(normalizeEndpoint(endpoint), grpc.credentials.createInsecure());
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  identity<M extends keyof IdentityMethods>(method: M, request: IdentityMethods[M][0], options?: CallOptions): Promise<IdentityMethods[M][1]> {
    return this.unary<IdentityMethods, M>('Identity', method, request, options);
  }

  controller<M extends keyof ControllerMethods>(method: M, request: ControllerMethods[M][0], options?: CallOptions): Promise<ControllerMethods[M][1]> {
    return this.unary<ControllerMethods, M>('Controller', method, request, options);
  }

  node<M extends keyof NodeMethods>(method: M, request: NodeMethods[M][0], options?: CallOptions): Promise<NodeMethods[M][1]> {
    return this.unary<NodeMethods, M>('Node', method, request, options);
  }

  groupController<M extends keyof GroupControllerMethods>(
    method: M,
    request: GroupControllerMethods[M][0],
    options?: CallOptions,
  ): Promise<GroupControllerMethods[M][1]> {
    return this.unary<GroupControllerMethods, M>('GroupController', method, request, options);
  }

  /** Waits until the channel is connected (the plugin is listening), or rejects after `timeoutMs`. */
  waitReady(timeoutMs = 10_000): Promise<void> {
    const channel = this.channel;
    if (!channel) return Promise.resolve();
    return new Promise((resolve, reject) => {
      channel.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new Error(`CSI plugin at ${this.endpoint} not reachable: ${err.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    this.channel?.close();
  }

  /**
   * One call with an already serialized request, answered serialized: what the agent uses to forward a
   * call for the server without decoding it. Rejects with a CsiCallError carrying the plugin's status.
   */
  callSerialized(methodPath: string, request: Buffer, timeoutMs = this.timeoutMs): Promise<Buffer> {
    if (this.transport) return this.transport(methodPath, request, timeoutMs);
    const channel = this.channel!;
    const name = methodPath.slice(methodPath.lastIndexOf('/') + 1);
    return new Promise((resolve, reject) => {
      channel.makeUnaryRequest(
        methodPath,
        passThrough,
        passThrough,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, response?: Buffer) => {
          if (err) reject(new CsiCallError(this.endpoint, name, err.code, err.details || err.message));
          else resolve(response!);
        },
      );
    });
  }

  private unary<Map extends MethodMap, M extends keyof Map>(service: ServiceName, method: M, request: Map[M][0], options?: CallOptions): Promise<Map[M][1]> {
    const definition = loadCsi().csi.v1[service].service as grpc.ServiceDefinition;
    const name = String(method);
    const m = definition[name];
    if (!m) return Promise.reject(new Error(`${service} has no method ${name}`));
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    if (this.transport) {
      const transport = this.transport;
      return (async () => m.responseDeserialize(await transport(m.path, m.requestSerialize(request) as Buffer, timeoutMs)) as Map[M][1])();
    }
    const channel = this.channel!;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      channel.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline },
        (err: grpc.ServiceError | null, response?: unknown) => {
          if (err) reject(new CsiCallError(this.endpoint, name, err.code, err.details || err.message));
          else resolve(response as Map[M][1]);
        },
      );
    });
  }
}
