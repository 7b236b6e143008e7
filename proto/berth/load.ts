import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { CSI_LOADER_OPTIONS } from '../csi/load';
import type { ProtoGrpcType } from './generated/agent';

let cached: ProtoGrpcType | undefined;

/** The berth.agent.v1 package, loaded with the same options the generated types assume. */
export function loadAgentProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(join(__dirname, 'agent.proto'), CSI_LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
