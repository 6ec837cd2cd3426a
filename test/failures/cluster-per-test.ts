// Separate from cluster.ts: this file needs vitest's hooks, cluster.ts is also loaded outside tests.
import { afterEach } from 'vitest';
import { Cluster, killAllChildren } from './cluster.js';

/**
 * One cluster per test in the calling file: `start(size)` builds it, and after each test
 * every child is killed and the cluster closed (its logs printed when the test failed).
 */
export function clusterPerTest(): (size: number) => Promise<Cluster> {
  let cluster: Cluster | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && cluster) console.error(cluster.logsTail());
    await killAllChildren();
    await cluster?.close();
    cluster = undefined;
  });
  return async (size) => {
    cluster = await Cluster.withBackup(size);
    return cluster;
  };
}
