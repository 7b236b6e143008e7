import type * as grpc from '@grpc/grpc-js';
import type { IdentityClient } from '../../proto/csi/generated/csi/v1/Identity';
import type { ControllerClient } from '../../proto/csi/generated/csi/v1/Controller';
import type { NodeClient } from '../../proto/csi/generated/csi/v1/Node';
import type { GroupControllerClient } from '../../proto/csi/generated/csi/v1/GroupController';

/**
 * [request, response] per unary method, derived from the generated grpc-js client interfaces so the
 * client stays in step with csi.proto. The generated clients list each method twice (PascalCase and
 * camelCase) with several overloads; the last overload is `(request, callback)`, which is what `infer`
 * sees, and only the PascalCase names (the wire names) are kept.
 */
type UnaryMethods<Client> = {
  [K in keyof Client as K extends Capitalize<K & string>
    ? Client[K] extends (req: infer _R, cb: grpc.requestCallback<infer _S>) => grpc.ClientUnaryCall
      ? K
      : never
    : never]: Client[K] extends (req: infer Req, cb: grpc.requestCallback<infer Res>) => grpc.ClientUnaryCall ? [Req, Res] : never;
};

export type MethodMap = Record<string, [unknown, unknown]>;
export type IdentityMethods = UnaryMethods<IdentityClient>;
export type ControllerMethods = UnaryMethods<ControllerClient>;
export type NodeMethods = UnaryMethods<NodeClient>;
export type GroupControllerMethods = UnaryMethods<GroupControllerClient>;
