/**
 * The RBD tests' cluster: one throw-away one-node cluster per test file
 * (tools/harness/ceph-one-node.sh), started in beforeAll and stopped in afterAll. Without
 * the Ceph packages, or with an addon built without librbd, the RBD tests skip with the
 * reason; where TANDEM_REQUIRE_CEPH=1 (CI) they run and fail instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { cephMissing, startCephCluster, type CephCluster } from '../../tools/harness/ceph-cluster.js';
import { RBD_AVAILABLE } from '../../src/block/rbd-store.js';

const required = process.env.TANDEM_REQUIRE_CEPH === '1';

/** Why the RBD tests cannot run here, or null. */
export function rbdSkipReason(): string | null {
  if (!RBD_AVAILABLE) return 'the addon was built without librbd-dev/librados-dev';
  return cephMissing();
}

/** Why the RBD tests skip here, or null where they run: always under TANDEM_REQUIRE_CEPH=1. */
export function rbdTestsSkipReason(): string | null {
  return required ? null : rbdSkipReason();
}

/** A throw-away cluster for a test that runs (rbdTestsSkipReason null); says what is missing under TANDEM_REQUIRE_CEPH=1. */
export async function startTestCluster(): Promise<CephCluster> {
  const reason = rbdSkipReason();
  if (reason) throw new Error(`TANDEM_REQUIRE_CEPH=1, but ${reason}`);
  return startCephCluster();
}

/**
 * `describe` with a running cluster: `cluster()` inside tests and hooks. Skips (saying why,
 * once per file) where the cluster cannot be started, unless TANDEM_REQUIRE_CEPH=1.
 */
export function describeWithCeph(name: string, body: (cluster: () => CephCluster) => void): void {
  const reason = rbdTestsSkipReason();
  if (reason) {
    console.warn(`RBD tests skipped: ${reason}; TANDEM_REQUIRE_CEPH=1 makes this a failure`);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let running: CephCluster | undefined;
    beforeAll(async () => {
      running = await startTestCluster();
    }, 180_000);
    afterAll(async () => {
      await running?.stop();
    }, 60_000);
    body(() => {
      if (!running) throw new Error('the Ceph cluster did not start');
      return running;
    });
  });
}

/**
 * A ceph.conf for the same cluster with extra [client] settings (`rbd_cache = false`, ...):
 * its path, DIR/NAME.conf. A different file is a different connection, so its own librbd cache.
 */
export function clientConf(cluster: CephCluster, name: string, clientSettings: string): string {
  const m = /^mon_host = (.*)$/m.exec(readFileSync(cluster.conf, 'utf8'));
  if (!m) throw new Error(`no mon_host in ${cluster.conf}`);
  const path = join(cluster.dir, `${name}.conf`);
  writeFileSync(path, `[global]\nmon_host = ${m[1]!}\nkeyring = ${cluster.dir}/client.admin.keyring\n[client]\n${clientSettings}\n`);
  return path;
}
