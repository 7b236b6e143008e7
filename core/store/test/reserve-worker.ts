/**
 * Worker thread for the cross-connection test: opens the same database file as its siblings and
 * reserves as fast as it can once released by the barrier. Each worker is a separate SQLite
 * connection in a truly parallel thread, so only BEGIN IMMEDIATE stands between them and overcommit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Ledger } from '../../reservations';
import { openSqliteStore } from '..';

interface Job {
  readonly path: string;
  readonly worker: number;
  readonly reserves: number;
  readonly barrier: SharedArrayBuffer;
}

async function main(): Promise<void> {
  const job = workerData as Job;
  const store = openSqliteStore({ path: job.path, busyTimeoutMs: 20_000 });
  const ledger = new Ledger(store.ledger);
  const barrier = new Int32Array(job.barrier);
  Atomics.add(barrier, 1, 1);
  Atomics.wait(barrier, 0, 0); // released by the main thread when every worker is ready
  const statuses: string[] = [];
  for (let i = 0; i < job.reserves; i++) {
    const outcome = await ledger.reserve({
      holderId: `w${job.worker}-t${i}`,
      nodeId: 'n1',
      amounts: { cpuMillis: 300, memoryBytes: 0, pools: [{ plugin: 'berth.local', pool: 'ssd', bytes: 80 }], attachments: [] },
    });
    statuses.push(outcome.status);
  }
  await store.close();
  parentPort!.postMessage(statuses);
}

main().catch((error: unknown) => {
  parentPort!.postMessage({ error: String(error) });
});
