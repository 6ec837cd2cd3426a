/**
 * Failure matrix 26: a target of two replicated LUNs (per-LUN peers in a config file, sync
 * mirroring) changes roles as one. A host writer writes the same counter to LUN 0 and then
 * to LUN 1, so on any node LUN 0 holds the newer or the same counter as LUN 1, never an
 * older one. Checked on both LUNs at each step:
 * - `tandem switchover` under that load: the new primary holds every acknowledged write
 *   of both LUNs, the old primary becomes the backup of both;
 * - the new primary SIGKILLed under load, the other node `promote --force`d: it holds every
 *   acknowledged write of both (sync mirroring) and serves both;
 * - the killed node restarted (and demoted if it comes back a stale primary): both LUNs
 *   resynchronise, the pair returns to continuous, and each LUN's images end identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { freePort } from '../../tools/harness/ports.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import type { IscsiSession } from '../../src/initiator/index.js';
import { logEvents, report, runCli, sleep, type Cluster, type ServeChild } from './cluster.js';
import { emptyPerTest } from './cluster-per-test.js';
import { connectHost } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;
const LUNS = [0, 1] as const;

const startCluster = emptyPerTest();

interface TwoLunNode {
  name: 'a' | 'b';
  iqn: string;
  port: number;
  args: string[];
  server: ServeChild;
  image(lun: number): string;
}

/** The counter a LUN's first block holds (0: never written). */
const counterIn = (image: string): number => readFileSync(image).readUInt32BE(0);

type LunReplication = NonNullable<ServerStatus['luns'][number]['replication']>;

/** Until every LUN of `node` satisfies `ok`. */
const waitAll = (cluster: Cluster, node: TwoLunNode, what: string, ok: (s: LunReplication) => boolean, timeoutMs = 60_000) =>
  cluster.waitOnEveryLun(node.server, LUNS.length, `${what} on ${node.name}`, ok, timeoutMs);

const continuousAndClean = (s: LunReplication) => s.role === 'primary' && s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0 && s.binding.state === 'bound';

/**
 * Writes counter k to LUN 0, then to LUN 1, for k = from, from+1, … until stopped or a
 * write fails (the node stopped serving): the last counter each LUN acknowledged.
 */
class CounterWriter {
  readonly acked: number[];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly session: IscsiSession,
    from: number,
  ) {
    this.acked = [from - 1, from - 1];
    this.done = this.run(from);
  }

  private async run(from: number): Promise<void> {
    const block = Buffer.alloc(512);
    for (let k = from; !this.stopped; k++) {
      block.writeUInt32BE(k, 0);
      try {
        for (const lun of LUNS) {
          await this.session.write16(lun, 0, block);
          this.acked[lun] = k;
        }
      } catch {
        return;
      }
    }
  }

  async stop(): Promise<number[]> {
    this.stopped = true;
    await this.done;
    this.session.destroy('test: writer stopped');
    return this.acked;
  }
}

/** On `node`'s images: every acknowledged counter, and LUN 0 never behind LUN 1. */
function expectCounters(node: TwoLunNode, acked: number[], what: string): void {
  const [c0, c1] = LUNS.map((lun) => counterIn(node.image(lun)));
  expect(c0!, `${what}: LUN 0 on ${node.name} holds ${c0}, acknowledged ${acked[0]}`).toBeGreaterThanOrEqual(acked[0]!);
  expect(c1!, `${what}: LUN 1 on ${node.name} holds ${c1}, acknowledged ${acked[1]}`).toBeGreaterThanOrEqual(acked[1]!);
  expect(c0! - c1!, `${what}: LUN 0 at ${c0}, LUN 1 at ${c1} on ${node.name}`).toBeGreaterThanOrEqual(0);
  expect(c0! - c1!, `${what}: LUN 0 at ${c0}, LUN 1 at ${c1} on ${node.name}`).toBeLessThanOrEqual(1);
}

test('two LUNs switch over, fail over and resynchronise together', async () => {
  const cluster: Cluster = await startCluster();
  const ports = { a: await freePort(), b: await freePort() };
  const node = (name: 'a' | 'b', role: 'primary' | 'backup'): TwoLunNode => {
    const other = name === 'a' ? 'b' : 'a';
    const iqn = `iqn.2026-12.io.tandem:fm-two-${name}`;
    const config = cluster.path(`${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        targets: [{ iqn, luns: LUNS.map((lun) => ({ path: cluster.path(`${name}${lun}.img`), size: SIZE, peer: `iscsi://127.0.0.1:${ports[other]}/iqn.2026-12.io.tandem:fm-two-${other}/${lun}` })) }],
      }),
    );
    return { name, iqn, port: ports[name], args: ['--config', config, '--role', role, '--replication-mode', 'auto', '--sync'], server: undefined as unknown as ServeChild, image: (lun) => cluster.path(`${name}${lun}.img`) };
  };
  const a = node('a', 'primary');
  const b = node('b', 'backup');
  const start = async (n: TwoLunNode) => (n.server = await cluster.serve(n.name, n.args, true, n.port));
  await start(b);
  await start(a);
  await waitAll(cluster, a, 'both LUNs continuous', continuousAndClean);

  // 1. Switchover under load: b becomes the primary of both LUNs.
  let writer = new CounterWriter(await connectHost(a.port, a.iqn), 1);
  await sleep(500);
  let t = Date.now();
  const switched = await runCli(['switchover', '--json', '--control', a.server.control], 60_000);
  const switchoverMs = Date.now() - t;
  expect(switched.code, switched.stderr + switched.stdout).toBe(0);
  let acked = await writer.stop();
  expect(acked[1], 'writes were acknowledged before the switchover').toBeGreaterThan(0);
  await waitAll(cluster, a, 'a the backup of both', (s) => s.role === 'backup');
  await waitAll(cluster, b, 'b continuous on both', continuousAndClean);
  expectCounters(b, acked, 'after the switchover');
  // Each node's log says which LUN each role change was of (its engine's lines carry target and LUN).
  for (const node of [a, b]) {
    const changes = logEvents(node.server, 'role-change').map((e) => `${String(e.target)} ${String(e.lun)} ${String(e.to)}`);
    expect(changes.sort(), `role changes logged by ${node.name}`).toEqual(LUNS.map((lun) => `${node.iqn} ${lun} ${node === a ? 'backup' : 'primary'}`));
  }

  // 2. b SIGKILLed under load (sync, continuous): a, promoted with --force, holds every acknowledged write.
  const afterSwitch = acked[0]!;
  writer = new CounterWriter(await connectHost(b.port, b.iqn), afterSwitch + 1);
  await sleep(800);
  await cluster.kill(b.server);
  acked = await writer.stop();
  expect(acked[1], 'b acknowledged writes before its kill').toBeGreaterThan(afterSwitch);
  const promoted = await runCli(['promote', '--force', '--json', '--control', a.server.control]);
  expect(promoted.code, promoted.stderr + promoted.stdout).toBe(0);
  expectCounters(a, acked, 'promoted after the kill');

  // 3. b back: demoted if it returns as a stale primary; both LUNs resynchronise under new writes to a.
  writer = new CounterWriter(await connectHost(a.port, a.iqn), acked[0]! + 1);
  await start(b);
  await waitAll(cluster, b, 'b a stale primary or a backup', (s) => s.state === 'stale' || s.role === 'backup', 30_000);
  if ((await cluster.serverStatus(b.server)).luns.some((l) => l.replication?.role !== 'backup')) {
    const demoted = await runCli(['demote', '--json', '--control', b.server.control]);
    expect(demoted.code, demoted.stderr + demoted.stdout).toBe(0);
  }
  await sleep(500);
  acked = await writer.stop();
  t = Date.now();
  await waitAll(cluster, a, 'a continuous on both after the resync', continuousAndClean, 90_000);
  const convergedMs = Date.now() - t;
  await waitAll(cluster, b, 'b the backup of both', (s) => s.role === 'backup');
  expectCounters(a, acked, 'after the resync');
  for (const lun of LUNS) expect(readFileSync(a.image(lun)).equals(readFileSync(b.image(lun))), `LUN ${lun}: images identical`).toBe(true);
  report('two LUNs fail over together', { switchoverCliMs: switchoverMs, counterAtSwitchover: afterSwitch, lastCounter: acked[0], convergedAfterWriterStopMs: convergedMs });
});
