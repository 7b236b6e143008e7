/** Host ports in the executors: the process runtime's environment and docker's published ports. */
import assert from 'node:assert/strict';
import { toCreateOptions } from '../docker-spec';
import { InvalidTaskSpecError } from '../errors';
import type { TaskSpec } from '../executor';
import { portEnv, portEnvName, validateTaskSpec } from '../task-spec';

const base: TaskSpec = {
  taskId: 'pg-0',
  app: 'pg',
  instance: 0,
  image: 'postgres:16',
  command: [],
  env: { A: '1' },
  mounts: [],
  devices: [],
  cpu: 0.25,
  memoryBytes: 0,
  labels: {},
};
const withPorts: TaskSpec = {
  ...base,
  ports: [
    { name: 'db', hostPort: 20001, containerPort: 5432 },
    { name: 'http-alt', hostPort: 20002, containerPort: 20002 },
  ],
  nodeAddress: '10.0.0.5',
};

describe('executors: host ports', () => {
  it('names the variables BERTH_PORT_<NAME>, upper-cased with "-" as "_"', () => {
    assert.equal(portEnvName('BERTH_PORT_', 'http-alt'), 'BERTH_PORT_HTTP_ALT');
    assert.equal(portEnvName('BERTH_HOST_PORT_', 'db'), 'BERTH_HOST_PORT_DB');
  });

  it('tells a process its host ports and the node address; a container the port to listen on inside', () => {
    assert.deepEqual(portEnv(withPorts, 'host'), {
      BERTH_PORT_DB: '20001',
      BERTH_HOST_PORT_DB: '20001',
      BERTH_PORT_HTTP_ALT: '20002',
      BERTH_HOST_PORT_HTTP_ALT: '20002',
      BERTH_NODE_ADDRESS: '10.0.0.5',
    });
    assert.equal(portEnv(withPorts, 'container').BERTH_PORT_DB, '5432');
    assert.deepEqual(portEnv(base, 'host'), {});
  });

  it('publishes each container port on its host port, on every address, and changes nothing for tasks without ports', () => {
    const o = toCreateOptions(withPorts, 'postgres:16', {});
    assert.deepEqual(o.ExposedPorts, { '5432/tcp': {}, '20002/tcp': {} });
    assert.deepEqual(o.HostConfig?.PortBindings, {
      '5432/tcp': [{ HostIp: '', HostPort: '20001' }],
      '20002/tcp': [{ HostIp: '', HostPort: '20002' }],
    });
    assert.ok(o.Env?.includes('BERTH_PORT_DB=5432') && o.Env.includes('BERTH_HOST_PORT_DB=20001') && o.Env.includes('BERTH_NODE_ADDRESS=10.0.0.5'));
    const plain = toCreateOptions(base, 'postgres:16', {});
    assert.equal(plain.ExposedPorts, undefined);
    assert.equal(plain.HostConfig?.PortBindings, undefined);
    assert.deepEqual(plain.Env, ['A=1']);
    assert.notEqual(o.Labels?.['berth.spec'], plain.Labels?.['berth.spec'], 'other ports, another container');
  });

  it('refuses ports out of range and a host port named twice', () => {
    for (const ports of [
      [{ name: 'a', hostPort: 0, containerPort: 1 }],
      [{ name: 'a', hostPort: 1, containerPort: 70000 }],
      [
        { name: 'a', hostPort: 80, containerPort: 80 },
        { name: 'b', hostPort: 80, containerPort: 81 },
      ],
    ]) {
      assert.throws(
        () => validateTaskSpec({ ...base, ports }),
        (e: unknown) => e instanceof InvalidTaskSpecError && /ports\[/.test(e.message),
      );
    }
  });
});
