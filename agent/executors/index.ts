/** agent/executors: how the agent runs tasks on its node (docker, or plain processes). */
export * from './executor';
export * from './errors';
export { DockerExecutor, DockerExecutorOptions } from './docker';
export { ProcessExecutor, ProcessExecutorOptions } from './process';
export { containerName } from './docker-spec';
export { LABEL_APP, LABEL_INSTANCE, LABEL_NODE, LABEL_TASK, validateTaskId, validateTaskSpec, volumeEnvName } from './task-spec';
