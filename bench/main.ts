/**
 * `npm run bench`: every benchmark prints its numbers next to a reference measured in the same run
 * (a raw gRPC round trip, a bare `docker run`, restic, …), so ratios mean something on a noisy machine.
 * A bench whose prerequisites are missing says so and is skipped; the others still run.
 */
export interface BenchResult {
  lines: string[];
}

type Bench = { name: string; load: () => Promise<() => Promise<BenchResult>> };

const BENCHES: Bench[] = [
  { name: 'csi-cycle', load: async () => (await import('./csi-cycle-bench')).runCsiCycleBench },
  { name: 'nfs-cycle', load: async () => (await import('./nfs-cycle-bench')).runNfsCycleBench },
  { name: 'iscsi-cycle', load: async () => (await import('./iscsi-cycle-bench')).runIscsiCycleBench },
  { name: 'apply', load: async () => (await import('./apply-bench')).runApplyBench },
  { name: 'scheduler', load: async () => (await import('./scheduler-bench')).runSchedulerBench },
  { name: 'repository', load: async () => (await import('./repository-bench')).runRepositoryBench },
  { name: 'control-plane', load: async () => (await import('./control-plane-bench')).runControlPlaneBench },
];

async function main(): Promise<void> {
  // Bench names come first; options after them (`-- control-plane --sizes 100`) are the benches' own.
  const args = process.argv.slice(2);
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  const only = firstOption < 0 ? args : args.slice(0, firstOption);
  let failed = 0;
  for (const bench of BENCHES) {
    if (only.length > 0 && !only.includes(bench.name)) continue;
    process.stdout.write(`\n== ${bench.name}\n`);
    try {
      const run = await bench.load();
      const result = await run();
      for (const line of result.lines) process.stdout.write(`${line}\n`);
    } catch (error) {
      failed++;
      process.stdout.write(`${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
