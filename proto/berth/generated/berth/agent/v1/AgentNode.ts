// Original file: proto/berth/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExecRequest as _berth_agent_v1_ExecRequest, ExecRequest__Output as _berth_agent_v1_ExecRequest__Output } from '../../../berth/agent/v1/ExecRequest';
import type { ExecResponse as _berth_agent_v1_ExecResponse, ExecResponse__Output as _berth_agent_v1_ExecResponse__Output } from '../../../berth/agent/v1/ExecResponse';
import type { LogsRequest as _berth_agent_v1_LogsRequest, LogsRequest__Output as _berth_agent_v1_LogsRequest__Output } from '../../../berth/agent/v1/LogsRequest';
import type { LogsResponse as _berth_agent_v1_LogsResponse, LogsResponse__Output as _berth_agent_v1_LogsResponse__Output } from '../../../berth/agent/v1/LogsResponse';

export interface AgentNodeClient extends grpc.Client {
  Exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  
  Logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentNodeHandlers extends grpc.UntypedServiceImplementation {
  Exec: grpc.handleUnaryCall<_berth_agent_v1_ExecRequest__Output, _berth_agent_v1_ExecResponse>;
  
  Logs: grpc.handleUnaryCall<_berth_agent_v1_LogsRequest__Output, _berth_agent_v1_LogsResponse>;
  
}

export interface AgentNodeDefinition extends grpc.ServiceDefinition {
  Exec: MethodDefinition<_berth_agent_v1_ExecRequest, _berth_agent_v1_ExecResponse, _berth_agent_v1_ExecRequest__Output, _berth_agent_v1_ExecResponse__Output>
  Logs: MethodDefinition<_berth_agent_v1_LogsRequest, _berth_agent_v1_LogsResponse, _berth_agent_v1_LogsRequest__Output, _berth_agent_v1_LogsResponse__Output>
}
