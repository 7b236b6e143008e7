import type { Endpoint, EndpointPort } from '../../core/domain';
import type { Endpoint as WireEndpoint } from './generated/berth/agent/v1/Endpoint';
import type { Endpoint__Output } from './generated/berth/agent/v1/Endpoint';

/** An endpoint as the Endpoints RPC carries it (empty strings and zeros stand for absent fields). */
export function toWireEndpoint(e: Endpoint): WireEndpoint {
  return {
    app: e.app,
    instance: e.instance,
    taskId: e.taskId,
    nodeId: e.nodeId,
    address: e.address,
    containerAddress: e.containerAddress ?? '',
    ports: e.ports.map((p) => ({ name: p.name, port: p.port, containerPort: p.containerPort ?? 0 })),
    ready: e.ready,
  };
}

export function fromWireEndpoint(w: Endpoint__Output): Endpoint {
  return {
    app: w.app,
    instance: w.instance,
    taskId: w.taskId,
    nodeId: w.nodeId,
    address: w.address,
    ...(w.containerAddress ? { containerAddress: w.containerAddress } : {}),
    ports: w.ports.map((p): EndpointPort => ({ name: p.name, port: p.port, ...(p.containerPort ? { containerPort: p.containerPort } : {}) })),
    ready: w.ready,
  };
}
