import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentControlClient as _berth_agent_v1_AgentControlClient, AgentControlDefinition as _berth_agent_v1_AgentControlDefinition } from './berth/agent/v1/AgentControl';
import type { AgentNodeClient as _berth_agent_v1_AgentNodeClient, AgentNodeDefinition as _berth_agent_v1_AgentNodeDefinition } from './berth/agent/v1/AgentNode';
import type { BackupVolumeRequest as _berth_agent_v1_BackupVolumeRequest, BackupVolumeRequest__Output as _berth_agent_v1_BackupVolumeRequest__Output } from './berth/agent/v1/BackupVolumeRequest';
import type { BackupVolumeResult as _berth_agent_v1_BackupVolumeResult, BackupVolumeResult__Output as _berth_agent_v1_BackupVolumeResult__Output } from './berth/agent/v1/BackupVolumeResult';
import type { CreatedVolume as _berth_agent_v1_CreatedVolume, CreatedVolume__Output as _berth_agent_v1_CreatedVolume__Output } from './berth/agent/v1/CreatedVolume';
import type { CsiCallRequest as _berth_agent_v1_CsiCallRequest, CsiCallRequest__Output as _berth_agent_v1_CsiCallRequest__Output } from './berth/agent/v1/CsiCallRequest';
import type { CsiCallResponse as _berth_agent_v1_CsiCallResponse, CsiCallResponse__Output as _berth_agent_v1_CsiCallResponse__Output } from './berth/agent/v1/CsiCallResponse';
import type { DataMoverProgress as _berth_agent_v1_DataMoverProgress, DataMoverProgress__Output as _berth_agent_v1_DataMoverProgress__Output } from './berth/agent/v1/DataMoverProgress';
import type { DataMoverResult as _berth_agent_v1_DataMoverResult, DataMoverResult__Output as _berth_agent_v1_DataMoverResult__Output } from './berth/agent/v1/DataMoverResult';
import type { Endpoint as _berth_agent_v1_Endpoint, Endpoint__Output as _berth_agent_v1_Endpoint__Output } from './berth/agent/v1/Endpoint';
import type { EndpointPort as _berth_agent_v1_EndpointPort, EndpointPort__Output as _berth_agent_v1_EndpointPort__Output } from './berth/agent/v1/EndpointPort';
import type { EndpointsRequest as _berth_agent_v1_EndpointsRequest, EndpointsRequest__Output as _berth_agent_v1_EndpointsRequest__Output } from './berth/agent/v1/EndpointsRequest';
import type { EndpointsResponse as _berth_agent_v1_EndpointsResponse, EndpointsResponse__Output as _berth_agent_v1_EndpointsResponse__Output } from './berth/agent/v1/EndpointsResponse';
import type { ExecRequest as _berth_agent_v1_ExecRequest, ExecRequest__Output as _berth_agent_v1_ExecRequest__Output } from './berth/agent/v1/ExecRequest';
import type { ExecResponse as _berth_agent_v1_ExecResponse, ExecResponse__Output as _berth_agent_v1_ExecResponse__Output } from './berth/agent/v1/ExecResponse';
import type { ExecSessionInput as _berth_agent_v1_ExecSessionInput, ExecSessionInput__Output as _berth_agent_v1_ExecSessionInput__Output } from './berth/agent/v1/ExecSessionInput';
import type { ExecSessionOutput as _berth_agent_v1_ExecSessionOutput, ExecSessionOutput__Output as _berth_agent_v1_ExecSessionOutput__Output } from './berth/agent/v1/ExecSessionOutput';
import type { ExecSessionStart as _berth_agent_v1_ExecSessionStart, ExecSessionStart__Output as _berth_agent_v1_ExecSessionStart__Output } from './berth/agent/v1/ExecSessionStart';
import type { HealthCheck as _berth_agent_v1_HealthCheck, HealthCheck__Output as _berth_agent_v1_HealthCheck__Output } from './berth/agent/v1/HealthCheck';
import type { JoinRequest as _berth_agent_v1_JoinRequest, JoinRequest__Output as _berth_agent_v1_JoinRequest__Output } from './berth/agent/v1/JoinRequest';
import type { JoinResponse as _berth_agent_v1_JoinResponse, JoinResponse__Output as _berth_agent_v1_JoinResponse__Output } from './berth/agent/v1/JoinResponse';
import type { LogsRequest as _berth_agent_v1_LogsRequest, LogsRequest__Output as _berth_agent_v1_LogsRequest__Output } from './berth/agent/v1/LogsRequest';
import type { LogsResponse as _berth_agent_v1_LogsResponse, LogsResponse__Output as _berth_agent_v1_LogsResponse__Output } from './berth/agent/v1/LogsResponse';
import type { MovedVolumeEntry as _berth_agent_v1_MovedVolumeEntry, MovedVolumeEntry__Output as _berth_agent_v1_MovedVolumeEntry__Output } from './berth/agent/v1/MovedVolumeEntry';
import type { PluginReport as _berth_agent_v1_PluginReport, PluginReport__Output as _berth_agent_v1_PluginReport__Output } from './berth/agent/v1/PluginReport';
import type { PoolReport as _berth_agent_v1_PoolReport, PoolReport__Output as _berth_agent_v1_PoolReport__Output } from './berth/agent/v1/PoolReport';
import type { RepositoryAccess as _berth_agent_v1_RepositoryAccess, RepositoryAccess__Output as _berth_agent_v1_RepositoryAccess__Output } from './berth/agent/v1/RepositoryAccess';
import type { RestoreVolumeRequest as _berth_agent_v1_RestoreVolumeRequest, RestoreVolumeRequest__Output as _berth_agent_v1_RestoreVolumeRequest__Output } from './berth/agent/v1/RestoreVolumeRequest';
import type { RestoreVolumeResult as _berth_agent_v1_RestoreVolumeResult, RestoreVolumeResult__Output as _berth_agent_v1_RestoreVolumeResult__Output } from './berth/agent/v1/RestoreVolumeResult';
import type { SyncRequest as _berth_agent_v1_SyncRequest, SyncRequest__Output as _berth_agent_v1_SyncRequest__Output } from './berth/agent/v1/SyncRequest';
import type { SyncResponse as _berth_agent_v1_SyncResponse, SyncResponse__Output as _berth_agent_v1_SyncResponse__Output } from './berth/agent/v1/SyncResponse';
import type { TaskAssignment as _berth_agent_v1_TaskAssignment, TaskAssignment__Output as _berth_agent_v1_TaskAssignment__Output } from './berth/agent/v1/TaskAssignment';
import type { TaskLogChunk as _berth_agent_v1_TaskLogChunk, TaskLogChunk__Output as _berth_agent_v1_TaskLogChunk__Output } from './berth/agent/v1/TaskLogChunk';
import type { TaskPort as _berth_agent_v1_TaskPort, TaskPort__Output as _berth_agent_v1_TaskPort__Output } from './berth/agent/v1/TaskPort';
import type { TaskReport as _berth_agent_v1_TaskReport, TaskReport__Output as _berth_agent_v1_TaskReport__Output } from './berth/agent/v1/TaskReport';
import type { TaskStop as _berth_agent_v1_TaskStop, TaskStop__Output as _berth_agent_v1_TaskStop__Output } from './berth/agent/v1/TaskStop';
import type { VolumeAttachment as _berth_agent_v1_VolumeAttachment, VolumeAttachment__Output as _berth_agent_v1_VolumeAttachment__Output } from './berth/agent/v1/VolumeAttachment';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    agent: {
      v1: {
        AgentControl: SubtypeConstructor<typeof grpc.Client, _berth_agent_v1_AgentControlClient> & { service: _berth_agent_v1_AgentControlDefinition }
        AgentNode: SubtypeConstructor<typeof grpc.Client, _berth_agent_v1_AgentNodeClient> & { service: _berth_agent_v1_AgentNodeDefinition }
        BackupVolumeRequest: MessageTypeDefinition<_berth_agent_v1_BackupVolumeRequest, _berth_agent_v1_BackupVolumeRequest__Output>
        BackupVolumeResult: MessageTypeDefinition<_berth_agent_v1_BackupVolumeResult, _berth_agent_v1_BackupVolumeResult__Output>
        CreatedVolume: MessageTypeDefinition<_berth_agent_v1_CreatedVolume, _berth_agent_v1_CreatedVolume__Output>
        CsiCallRequest: MessageTypeDefinition<_berth_agent_v1_CsiCallRequest, _berth_agent_v1_CsiCallRequest__Output>
        CsiCallResponse: MessageTypeDefinition<_berth_agent_v1_CsiCallResponse, _berth_agent_v1_CsiCallResponse__Output>
        DataMoverProgress: MessageTypeDefinition<_berth_agent_v1_DataMoverProgress, _berth_agent_v1_DataMoverProgress__Output>
        DataMoverResult: MessageTypeDefinition<_berth_agent_v1_DataMoverResult, _berth_agent_v1_DataMoverResult__Output>
        Endpoint: MessageTypeDefinition<_berth_agent_v1_Endpoint, _berth_agent_v1_Endpoint__Output>
        EndpointPort: MessageTypeDefinition<_berth_agent_v1_EndpointPort, _berth_agent_v1_EndpointPort__Output>
        EndpointsRequest: MessageTypeDefinition<_berth_agent_v1_EndpointsRequest, _berth_agent_v1_EndpointsRequest__Output>
        EndpointsResponse: MessageTypeDefinition<_berth_agent_v1_EndpointsResponse, _berth_agent_v1_EndpointsResponse__Output>
        ExecRequest: MessageTypeDefinition<_berth_agent_v1_ExecRequest, _berth_agent_v1_ExecRequest__Output>
        ExecResponse: MessageTypeDefinition<_berth_agent_v1_ExecResponse, _berth_agent_v1_ExecResponse__Output>
        ExecSessionInput: MessageTypeDefinition<_berth_agent_v1_ExecSessionInput, _berth_agent_v1_ExecSessionInput__Output>
        ExecSessionOutput: MessageTypeDefinition<_berth_agent_v1_ExecSessionOutput, _berth_agent_v1_ExecSessionOutput__Output>
        ExecSessionStart: MessageTypeDefinition<_berth_agent_v1_ExecSessionStart, _berth_agent_v1_ExecSessionStart__Output>
        HealthCheck: MessageTypeDefinition<_berth_agent_v1_HealthCheck, _berth_agent_v1_HealthCheck__Output>
        JoinRequest: MessageTypeDefinition<_berth_agent_v1_JoinRequest, _berth_agent_v1_JoinRequest__Output>
        JoinResponse: MessageTypeDefinition<_berth_agent_v1_JoinResponse, _berth_agent_v1_JoinResponse__Output>
        LogsRequest: MessageTypeDefinition<_berth_agent_v1_LogsRequest, _berth_agent_v1_LogsRequest__Output>
        LogsResponse: MessageTypeDefinition<_berth_agent_v1_LogsResponse, _berth_agent_v1_LogsResponse__Output>
        MovedVolumeEntry: MessageTypeDefinition<_berth_agent_v1_MovedVolumeEntry, _berth_agent_v1_MovedVolumeEntry__Output>
        PluginReport: MessageTypeDefinition<_berth_agent_v1_PluginReport, _berth_agent_v1_PluginReport__Output>
        PoolReport: MessageTypeDefinition<_berth_agent_v1_PoolReport, _berth_agent_v1_PoolReport__Output>
        RepositoryAccess: MessageTypeDefinition<_berth_agent_v1_RepositoryAccess, _berth_agent_v1_RepositoryAccess__Output>
        RestoreVolumeRequest: MessageTypeDefinition<_berth_agent_v1_RestoreVolumeRequest, _berth_agent_v1_RestoreVolumeRequest__Output>
        RestoreVolumeResult: MessageTypeDefinition<_berth_agent_v1_RestoreVolumeResult, _berth_agent_v1_RestoreVolumeResult__Output>
        SyncRequest: MessageTypeDefinition<_berth_agent_v1_SyncRequest, _berth_agent_v1_SyncRequest__Output>
        SyncResponse: MessageTypeDefinition<_berth_agent_v1_SyncResponse, _berth_agent_v1_SyncResponse__Output>
        TaskAssignment: MessageTypeDefinition<_berth_agent_v1_TaskAssignment, _berth_agent_v1_TaskAssignment__Output>
        TaskLogChunk: MessageTypeDefinition<_berth_agent_v1_TaskLogChunk, _berth_agent_v1_TaskLogChunk__Output>
        TaskPort: MessageTypeDefinition<_berth_agent_v1_TaskPort, _berth_agent_v1_TaskPort__Output>
        TaskReport: MessageTypeDefinition<_berth_agent_v1_TaskReport, _berth_agent_v1_TaskReport__Output>
        TaskStop: MessageTypeDefinition<_berth_agent_v1_TaskStop, _berth_agent_v1_TaskStop__Output>
        VolumeAttachment: MessageTypeDefinition<_berth_agent_v1_VolumeAttachment, _berth_agent_v1_VolumeAttachment__Output>
      }
    }
  }
}

