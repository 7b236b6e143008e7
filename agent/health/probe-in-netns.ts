/**
 * Runs one http or tcp probe and prints its outcome as JSON: started by the agent with nsenter inside
 * a container's network namespace (probes.ts), so 127.0.0.1 is the container's own loopback.
 * Argument: { probe, host, timeoutMs } as JSON.
 */
import type { HealthProbe } from '../../core/domain';
import { networkProbe } from './probes';

const { probe, host, timeoutMs } = JSON.parse(process.argv[2] ?? '{}') as { probe: HealthProbe; host: string; timeoutMs: number };
void networkProbe(probe, host, timeoutMs).then((outcome) => {
  process.stdout.write(JSON.stringify(outcome));
  process.exit(0);
});
