import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentControlClient as _berth_agent_v1_AgentControlClient, AgentControlDefinition as _berth_agent_v1_AgentControlDefinition } from './berth/agent/v1/AgentControl';
import type { PluginReport as _berth_agent_v1_PluginReport, PluginReport__Output as _berth_agent_v1_PluginReport__Output } from './berth/agent/v1/PluginReport';
import type { PoolReport as _berth_agent_v1_PoolReport, PoolReport__Output as _berth_agent_v1_PoolReport__Output } from './berth/agent/v1/PoolReport';
import type { SyncRequest as _berth_agent_v1_SyncRequest, SyncRequest__Output as _berth_agent_v1_SyncRequest__Output } from './berth/agent/v1/SyncRequest';
import type { SyncResponse as _berth_agent_v1_SyncResponse, SyncResponse__Output as _berth_agent_v1_SyncResponse__Output } from './berth/agent/v1/SyncResponse';
import type { TaskAssignment as _berth_agent_v1_TaskAssignment, TaskAssignment__Output as _berth_agent_v1_TaskAssignment__Output } from './berth/agent/v1/TaskAssignment';
import type { TaskReport as _berth_agent_v1_TaskReport, TaskReport__Output as _berth_agent_v1_TaskReport__Output } from './berth/agent/v1/TaskReport';
import type { VolumeAttachment as _berth_agent_v1_VolumeAttachment, VolumeAttachment__Output as _berth_agent_v1_VolumeAttachment__Output } from './berth/agent/v1/VolumeAttachment';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    agent: {
      v1: {
        AgentControl: SubtypeConstructor<typeof grpc.Client, _berth_agent_v1_AgentControlClient> & { service: _berth_agent_v1_AgentControlDefinition }
        PluginReport: MessageTypeDefinition<_berth_agent_v1_PluginReport, _berth_agent_v1_PluginReport__Output>
        PoolReport: MessageTypeDefinition<_berth_agent_v1_PoolReport, _berth_agent_v1_PoolReport__Output>
        SyncRequest: MessageTypeDefinition<_berth_agent_v1_SyncRequest, _berth_agent_v1_SyncRequest__Output>
        SyncResponse: MessageTypeDefinition<_berth_agent_v1_SyncResponse, _berth_agent_v1_SyncResponse__Output>
        TaskAssignment: MessageTypeDefinition<_berth_agent_v1_TaskAssignment, _berth_agent_v1_TaskAssignment__Output>
        TaskReport: MessageTypeDefinition<_berth_agent_v1_TaskReport, _berth_agent_v1_TaskReport__Output>
        VolumeAttachment: MessageTypeDefinition<_berth_agent_v1_VolumeAttachment, _berth_agent_v1_VolumeAttachment__Output>
      }
    }
  }
}

