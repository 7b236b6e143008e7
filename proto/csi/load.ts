import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import type { ProtoGrpcType } from './generated/csi';

/**
 * The options the TypeScript types in ./generated were generated with (proto-loader-gen-types
 * --longs=String --enums=String --defaults --oneofs): runtime objects and types must agree, so they are
 * fixed here and nowhere else. int64 fields (capacities) arrive as decimal strings.
 */
export const CSI_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/** The csi.v1 package: service definitions for servers and client constructors. Loaded once. */
export function loadCsi(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(join(__dirname, 'csi.proto'), CSI_LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
