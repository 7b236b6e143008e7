// Original file: proto/berth/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupVolumeRequest as _berth_agent_v1_BackupVolumeRequest, BackupVolumeRequest__Output as _berth_agent_v1_BackupVolumeRequest__Output } from '../../../berth/agent/v1/BackupVolumeRequest';
import type { CsiCallRequest as _berth_agent_v1_CsiCallRequest, CsiCallRequest__Output as _berth_agent_v1_CsiCallRequest__Output } from '../../../berth/agent/v1/CsiCallRequest';
import type { CsiCallResponse as _berth_agent_v1_CsiCallResponse, CsiCallResponse__Output as _berth_agent_v1_CsiCallResponse__Output } from '../../../berth/agent/v1/CsiCallResponse';
import type { DataMoverProgress as _berth_agent_v1_DataMoverProgress, DataMoverProgress__Output as _berth_agent_v1_DataMoverProgress__Output } from '../../../berth/agent/v1/DataMoverProgress';
import type { ExecRequest as _berth_agent_v1_ExecRequest, ExecRequest__Output as _berth_agent_v1_ExecRequest__Output } from '../../../berth/agent/v1/ExecRequest';
import type { ExecResponse as _berth_agent_v1_ExecResponse, ExecResponse__Output as _berth_agent_v1_ExecResponse__Output } from '../../../berth/agent/v1/ExecResponse';
import type { ExecSessionInput as _berth_agent_v1_ExecSessionInput, ExecSessionInput__Output as _berth_agent_v1_ExecSessionInput__Output } from '../../../berth/agent/v1/ExecSessionInput';
import type { ExecSessionOutput as _berth_agent_v1_ExecSessionOutput, ExecSessionOutput__Output as _berth_agent_v1_ExecSessionOutput__Output } from '../../../berth/agent/v1/ExecSessionOutput';
import type { LogsRequest as _berth_agent_v1_LogsRequest, LogsRequest__Output as _berth_agent_v1_LogsRequest__Output } from '../../../berth/agent/v1/LogsRequest';
import type { LogsResponse as _berth_agent_v1_LogsResponse, LogsResponse__Output as _berth_agent_v1_LogsResponse__Output } from '../../../berth/agent/v1/LogsResponse';
import type { RestoreVolumeRequest as _berth_agent_v1_RestoreVolumeRequest, RestoreVolumeRequest__Output as _berth_agent_v1_RestoreVolumeRequest__Output } from '../../../berth/agent/v1/RestoreVolumeRequest';
import type { TaskLogChunk as _berth_agent_v1_TaskLogChunk, TaskLogChunk__Output as _berth_agent_v1_TaskLogChunk__Output } from '../../../berth/agent/v1/TaskLogChunk';

export interface AgentNodeClient extends grpc.Client {
  BackupVolume(argument: _berth_agent_v1_BackupVolumeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  BackupVolume(argument: _berth_agent_v1_BackupVolumeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  backupVolume(argument: _berth_agent_v1_BackupVolumeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  backupVolume(argument: _berth_agent_v1_BackupVolumeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  
  CsiCall(argument: _berth_agent_v1_CsiCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  CsiCall(argument: _berth_agent_v1_CsiCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  CsiCall(argument: _berth_agent_v1_CsiCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  CsiCall(argument: _berth_agent_v1_CsiCallRequest, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  csiCall(argument: _berth_agent_v1_CsiCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  csiCall(argument: _berth_agent_v1_CsiCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  csiCall(argument: _berth_agent_v1_CsiCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  csiCall(argument: _berth_agent_v1_CsiCallRequest, callback: grpc.requestCallback<_berth_agent_v1_CsiCallResponse__Output>): grpc.ClientUnaryCall;
  
  Exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  Exec(argument: _berth_agent_v1_ExecRequest, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  exec(argument: _berth_agent_v1_ExecRequest, callback: grpc.requestCallback<_berth_agent_v1_ExecResponse__Output>): grpc.ClientUnaryCall;
  
  ExecSession(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionOutput__Output>;
  ExecSession(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionOutput__Output>;
  execSession(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionOutput__Output>;
  execSession(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionOutput__Output>;
  
  FollowTaskLogs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_TaskLogChunk__Output>;
  FollowTaskLogs(argument: _berth_agent_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_TaskLogChunk__Output>;
  followTaskLogs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_TaskLogChunk__Output>;
  followTaskLogs(argument: _berth_agent_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_TaskLogChunk__Output>;
  
  Logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  Logs(argument: _berth_agent_v1_LogsRequest, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  logs(argument: _berth_agent_v1_LogsRequest, callback: grpc.requestCallback<_berth_agent_v1_LogsResponse__Output>): grpc.ClientUnaryCall;
  
  RestoreVolume(argument: _berth_agent_v1_RestoreVolumeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  RestoreVolume(argument: _berth_agent_v1_RestoreVolumeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  restoreVolume(argument: _berth_agent_v1_RestoreVolumeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  restoreVolume(argument: _berth_agent_v1_RestoreVolumeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_DataMoverProgress__Output>;
  
}

export interface AgentNodeHandlers extends grpc.UntypedServiceImplementation {
  BackupVolume: grpc.handleServerStreamingCall<_berth_agent_v1_BackupVolumeRequest__Output, _berth_agent_v1_DataMoverProgress>;
  
  CsiCall: grpc.handleUnaryCall<_berth_agent_v1_CsiCallRequest__Output, _berth_agent_v1_CsiCallResponse>;
  
  Exec: grpc.handleUnaryCall<_berth_agent_v1_ExecRequest__Output, _berth_agent_v1_ExecResponse>;
  
  ExecSession: grpc.handleBidiStreamingCall<_berth_agent_v1_ExecSessionInput__Output, _berth_agent_v1_ExecSessionOutput>;
  
  FollowTaskLogs: grpc.handleServerStreamingCall<_berth_agent_v1_LogsRequest__Output, _berth_agent_v1_TaskLogChunk>;
  
  Logs: grpc.handleUnaryCall<_berth_agent_v1_LogsRequest__Output, _berth_agent_v1_LogsResponse>;
  
  RestoreVolume: grpc.handleServerStreamingCall<_berth_agent_v1_RestoreVolumeRequest__Output, _berth_agent_v1_DataMoverProgress>;
  
}

export interface AgentNodeDefinition extends grpc.ServiceDefinition {
  BackupVolume: MethodDefinition<_berth_agent_v1_BackupVolumeRequest, _berth_agent_v1_DataMoverProgress, _berth_agent_v1_BackupVolumeRequest__Output, _berth_agent_v1_DataMoverProgress__Output>
  CsiCall: MethodDefinition<_berth_agent_v1_CsiCallRequest, _berth_agent_v1_CsiCallResponse, _berth_agent_v1_CsiCallRequest__Output, _berth_agent_v1_CsiCallResponse__Output>
  Exec: MethodDefinition<_berth_agent_v1_ExecRequest, _berth_agent_v1_ExecResponse, _berth_agent_v1_ExecRequest__Output, _berth_agent_v1_ExecResponse__Output>
  ExecSession: MethodDefinition<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionOutput, _berth_agent_v1_ExecSessionInput__Output, _berth_agent_v1_ExecSessionOutput__Output>
  FollowTaskLogs: MethodDefinition<_berth_agent_v1_LogsRequest, _berth_agent_v1_TaskLogChunk, _berth_agent_v1_LogsRequest__Output, _berth_agent_v1_TaskLogChunk__Output>
  Logs: MethodDefinition<_berth_agent_v1_LogsRequest, _berth_agent_v1_LogsResponse, _berth_agent_v1_LogsRequest__Output, _berth_agent_v1_LogsResponse__Output>
  RestoreVolume: MethodDefinition<_berth_agent_v1_RestoreVolumeRequest, _berth_agent_v1_DataMoverProgress, _berth_agent_v1_RestoreVolumeRequest__Output, _berth_agent_v1_DataMoverProgress__Output>
}
