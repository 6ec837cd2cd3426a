/**
 * Failure matrix 4: a rewrite-heavy workload on a few chunks while the link is slow enough
 * for the journal to back up. The redundancy criterion trips (bytes continuous mirroring
 * would still send ÷ bytes one delta pass would send > maxRedundancy, default 3), and the
 * delta pass then sends each dirty chunk once: the bytes the proxy carries to the backup
 * during the pass are ≈ distinct chunks × chunk size, plus bounded protocol overhead.
 */
import { expect, test } from 'vitest';
import { CHUNK, report, sleep, switchedToDelta } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { HostWriter } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;
/** The hot chunks: 4 chunks spread over the volume. */
const HOT_CHUNKS = [3, 40, 41, 200];
/** Per-PDU headers, R2T/Data-Out, SYNCHRONIZE CACHE, a few TEST UNIT READY pings: well under this. */
const OVERHEAD_BOUND = 16 * 1024;

const startCluster = clusterPerTest();

test('rewrites of a few chunks trip journal-redundant; the pass sends each dirty chunk once (bytes on the wire)', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  // A slow link (not a failed one) lets the journal hold many rewrites of the same chunks.
  await cluster.configSet('maxRttMs', '60s');
  await cluster.configSet('maxWriteLatencyMs', '60s');
  await cluster.configSet('healthyForMs', '60s');
  cluster.proxy.setDelay(200);

  // 4 KiB writes cycling over 16 aligned slots in each hot chunk.
  const writer = await HostWriter.start({
    port: cluster.primary!.port,
    depth: 4,
    next: (n) => ({ offset: HOT_CHUNKS[n % HOT_CHUNKS.length]! * CHUNK + 4096 * (Math.floor(n / HOT_CHUNKS.length) % 16), length: 4096 }),
  });
  const switched = await cluster.waitFor('the switch to delta', switchedToDelta, 15_000, 50);
  const stats = await writer.stop();
  expect(stats.errors).toEqual([]);
  expect(switched.lastSwitch!.reason).toBe('journal-redundant');

  // Only the hot chunks are dirty, however often they were written. Status shows the new
  // state as the switch begins; the queue's changes are folded into the table just after.
  const dirty = await cluster.waitFor('the queue folded into the delta table', (s) => s.state === 'delta' && s.journal.entries === 0, 15_000, 50);
  expect(dirty.dirtyChunks).toBe(HOT_CHUNKS.length);

  cluster.proxy.restore();
  // Let writes and pings in flight through the delayed link settle before counting.
  await sleep(500);
  cluster.proxy.resetCounters();
  const pass = await cluster.replicate();
  const onWire = cluster.proxy.counters.toTarget;
  const payload = HOT_CHUNKS.length * CHUNK;
  expect(pass.passes[0]).toMatchObject({ chunks: HOT_CHUNKS.length, sentChunks: HOT_CHUNKS.length, bytesSent: payload });
  expect(onWire).toBeGreaterThanOrEqual(payload);
  expect(onWire).toBeLessThan(payload + OVERHEAD_BOUND);
  report('rewrite-heavy', { reason: switched.lastSwitch!.reason, hostWrites: stats.acked, hostBytes: stats.bytes, dirtyChunks: dirty.dirtyChunks, passBytesOnWire: onWire, distinctChunksTimesChunk: payload });

  // And the backup now matches (delta → continuous once healthy).
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitQuiesced(20_000);
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);
});
