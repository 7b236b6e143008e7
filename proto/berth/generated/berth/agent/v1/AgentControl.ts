// Original file: proto/berth/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EndpointsRequest as _berth_agent_v1_EndpointsRequest, EndpointsRequest__Output as _berth_agent_v1_EndpointsRequest__Output } from '../../../berth/agent/v1/EndpointsRequest';
import type { EndpointsResponse as _berth_agent_v1_EndpointsResponse, EndpointsResponse__Output as _berth_agent_v1_EndpointsResponse__Output } from '../../../berth/agent/v1/EndpointsResponse';
import type { JoinRequest as _berth_agent_v1_JoinRequest, JoinRequest__Output as _berth_agent_v1_JoinRequest__Output } from '../../../berth/agent/v1/JoinRequest';
import type { JoinResponse as _berth_agent_v1_JoinResponse, JoinResponse__Output as _berth_agent_v1_JoinResponse__Output } from '../../../berth/agent/v1/JoinResponse';
import type { SyncRequest as _berth_agent_v1_SyncRequest, SyncRequest__Output as _berth_agent_v1_SyncRequest__Output } from '../../../berth/agent/v1/SyncRequest';
import type { SyncResponse as _berth_agent_v1_SyncResponse, SyncResponse__Output as _berth_agent_v1_SyncResponse__Output } from '../../../berth/agent/v1/SyncResponse';

export interface AgentControlClient extends grpc.Client {
  Endpoints(argument: _berth_agent_v1_EndpointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  Endpoints(argument: _berth_agent_v1_EndpointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  Endpoints(argument: _berth_agent_v1_EndpointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  Endpoints(argument: _berth_agent_v1_EndpointsRequest, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  endpoints(argument: _berth_agent_v1_EndpointsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  endpoints(argument: _berth_agent_v1_EndpointsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  endpoints(argument: _berth_agent_v1_EndpointsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  endpoints(argument: _berth_agent_v1_EndpointsRequest, callback: grpc.requestCallback<_berth_agent_v1_EndpointsResponse__Output>): grpc.ClientUnaryCall;
  
  Join(argument: _berth_agent_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_agent_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_agent_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_agent_v1_JoinRequest, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_agent_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_agent_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_agent_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_agent_v1_JoinRequest, callback: grpc.requestCallback<_berth_agent_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  Sync(argument: _berth_agent_v1_SyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _berth_agent_v1_SyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _berth_agent_v1_SyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _berth_agent_v1_SyncRequest, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _berth_agent_v1_SyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _berth_agent_v1_SyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _berth_agent_v1_SyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _berth_agent_v1_SyncRequest, callback: grpc.requestCallback<_berth_agent_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentControlHandlers extends grpc.UntypedServiceImplementation {
  Endpoints: grpc.handleUnaryCall<_berth_agent_v1_EndpointsRequest__Output, _berth_agent_v1_EndpointsResponse>;
  
  Join: grpc.handleUnaryCall<_berth_agent_v1_JoinRequest__Output, _berth_agent_v1_JoinResponse>;
  
  Sync: grpc.handleUnaryCall<_berth_agent_v1_SyncRequest__Output, _berth_agent_v1_SyncResponse>;
  
}

export interface AgentControlDefinition extends grpc.ServiceDefinition {
  Endpoints: MethodDefinition<_berth_agent_v1_EndpointsRequest, _berth_agent_v1_EndpointsResponse, _berth_agent_v1_EndpointsRequest__Output, _berth_agent_v1_EndpointsResponse__Output>
  Join: MethodDefinition<_berth_agent_v1_JoinRequest, _berth_agent_v1_JoinResponse, _berth_agent_v1_JoinRequest__Output, _berth_agent_v1_JoinResponse__Output>
  Sync: MethodDefinition<_berth_agent_v1_SyncRequest, _berth_agent_v1_SyncResponse, _berth_agent_v1_SyncRequest__Output, _berth_agent_v1_SyncResponse__Output>
}
