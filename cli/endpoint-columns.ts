import type { Endpoint } from '../api';
import type { Column } from './output';

/** "db=20001": each named port's host port (on ADDRESS); "db=20001/5432" when the container listens on another port at its own address. */
function formatPorts(e: Endpoint): string {
  return e.ports.map((p) => `${p.name}=${p.port}${e.containerAddress && p.containerPort ? `/${p.containerPort}` : ''}`).join(',');
}

/** The table of `berth get endpoints`. */
export const ENDPOINT_COLUMNS: Column<Endpoint>[] = [
  ['app', (e) => e.app],
  ['instance', (e) => e.instance],
  ['task', (e) => e.taskId],
  ['node', (e) => e.nodeId],
  ['address', (e) => (e.containerAddress ? `${e.address} (${e.containerAddress})` : e.address)],
  ['ports', formatPorts],
  ['ready', (e) => e.ready],
];
