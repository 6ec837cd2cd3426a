/**
 * Failure matrix 5: SIGKILL the primary while the asynchronous flusher has entries in
 * flight (a delayed link keeps the journal from draining), restart it with the same
 * metadata: every write the host saw acknowledged reads back from the primary (the
 * staging journal is replayed), and the backup converges to a byte-identical image.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { report, sleep } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, HostWriter, connectHost, sha256, type AckedWrite } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const SLOT = 16 * 1024;
const SLOTS = SIZE / SLOT;

const startCluster = clusterPerTest();

test('SIGKILL of the primary during async flushing: no acknowledged write lost, the backup converges', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  // Slow, not failed: entries pile up in the journal while the flusher works through them.
  await cluster.configSet('maxRttMs', '60s');
  await cluster.configSet('maxWriteLatencyMs', '60s');
  cluster.proxy.setDelay(100);

  const writer = await HostWriter.start({ port: cluster.primary!.port, depth: 4, record: true, next: (n) => ({ offset: (n % SLOTS) * SLOT, length: SLOT }), pauseMs: 2 });
  const flushing = await cluster.waitFor('pending journal entries', (s) => s.state === 'continuous' && s.journal.entries > 20 && writer.stats.acked > 100, 15_000, 50);
  writer.halt();
  await cluster.kill(cluster.primary!);
  const acked: AckedWrite[] = writer.acked.slice();
  await writer.stop(false);
  expect(writer.stats.errors).toEqual([]);

  cluster.proxy.restore();
  const restarted = await cluster.startPrimary({ mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  const opened = readFileSync(restarted.log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"event":"replication-open"'))
    .map((l) => JSON.parse(l) as { recovered: number; state: string })
    .pop()!;
  // The restart found the journal the kill left behind and starts by resynchronising.
  expect(opened.recovered).toBeGreaterThan(0);
  expect(opened.state).toBe('delta');

  // Every acknowledged write reads back from the restarted primary (the last one per slot).
  const latest = new Map<number, AckedWrite>();
  for (const w of acked) latest.set(w.offset, w);
  const host = await connectHost(restarted.port);
  try {
    for (const w of latest.values()) {
      const data = await host.read16(0, w.offset / BLOCK, w.length / BLOCK);
      expect(sha256(data), `acknowledged write at ${w.offset}`).toBe(w.sha256);
    }
  } finally {
    await host.logout();
  }

  await cluster.waitQuiesced(30_000);
  report('primary SIGKILL (async)', { acked: acked.length, pendingAtKill: flushing.journal.entries, recoveredAtRestart: opened.recovered });
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);
  await sleep(0);
});
