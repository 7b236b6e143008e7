/** `spec.ports` of an App: named ports, each published on a host port fixed by the user or allocated per node. */
import { z } from 'zod';
import { MAX_PORT, MIN_PORT } from '../domain';
import { dnsName, wholeNumber } from './fields';
import type { PortSpec } from './types';

/** Kubernetes caps port names at 15 characters (IANA service names): they become SRV labels and env names. */
const MAX_PORT_NAME = 15;

const portNumber = () => wholeNumber(MIN_PORT, { value: MAX_PORT, what: 'a TCP/UDP port' });

const portSchema = z
  .strictObject({
    name: dnsName().refine((n) => n.length <= MAX_PORT_NAME, { error: (iss) => `${JSON.stringify(iss.input)} is longer than ${MAX_PORT_NAME} characters` }),
    containerPort: portNumber().optional(),
    hostPort: portNumber().optional(),
  })
  // Absent unless written, so a stored spec compares equal to its re-applied manifest.
  .transform(
    (p): PortSpec => ({
      name: p.name,
      ...(p.containerPort !== undefined ? { containerPort: p.containerPort } : {}),
      ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
    }),
  );

/** At most this many ports per app: each instance holds one host port per entry on its node. */
export const MAX_PORTS = 32;

export const portsSchema = z
  .array(portSchema)
  .max(MAX_PORTS, { error: `at most ${MAX_PORTS} ports per app` })
  .superRefine((ports, ctx) => {
    const names = new Set<string>();
    const hostPorts = new Set<number>();
    ports.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate port name ${JSON.stringify(p.name)}` });
      names.add(p.name);
      if (p.hostPort === undefined) return;
      if (hostPorts.has(p.hostPort)) ctx.addIssue({ code: 'custom', path: [i, 'hostPort'], message: `host port ${p.hostPort} is listed twice` });
      hostPorts.add(p.hostPort);
    });
  });
