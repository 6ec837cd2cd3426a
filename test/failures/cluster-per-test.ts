// Separate from cluster.ts: this file needs vitest's hooks, cluster.ts is also loaded outside tests.
import { afterEach } from 'vitest';
import { Cluster, killAllChildren, type PairOptions } from './cluster.js';

/** After each test: print the logs of a failed one, kill every child, close the cluster. */
function perTest<A extends unknown[]>(create: (...args: A) => Promise<Cluster>): (...args: A) => Promise<Cluster> {
  let cluster: Cluster | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && cluster) console.error(cluster.logsTail());
    await killAllChildren();
    await cluster?.close();
    cluster = undefined;
  });
  return async (...args) => {
    cluster = await create(...args);
    return cluster;
  };
}

/**
 * One cluster per test in the calling file: `start(size)` builds it (the backup and its
 * proxy; the test starts the primary), and after each test every child is killed and the
 * cluster closed (its logs printed when the test failed).
 */
export function clusterPerTest(): (size: number, backupDir?: string) => Promise<Cluster> {
  return perTest((size: number, backupDir?: string) => Cluster.withBackup(size, backupDir));
}

/** Like clusterPerTest, for a pair that names each other (Cluster.pair: both nodes started, both proxies). */
export function pairPerTest(): (size: number, options?: PairOptions) => Promise<Cluster> {
  return perTest((size: number, options?: PairOptions) => Cluster.pair(size, options));
}

/** An empty cluster per test (Cluster.empty): the test starts its own nodes with serve(). */
export function emptyPerTest(): () => Promise<Cluster> {
  return perTest(async () => Cluster.empty());
}
