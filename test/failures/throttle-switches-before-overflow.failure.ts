/**
 * Failure matrix 3: throttle the link below the host's write rate. `auto` leaves continuous
 * mirroring for delta on a journal criterion (net inflow above its limit, or the journal
 * over 90% full) before the journal overflows: sampled status never shows it full and the
 * `journal-full` fallback never happens. Nothing is lost: images identical after restore.
 */
import { expect, test } from 'vitest';
import { report, sleep, switchedToDelta } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { HostWriter, randomExtents } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const THROTTLE_BYTES_PER_SEC = 256 * 1024;

const startCluster = clusterPerTest();

test('throttled link: auto switches to delta on a journal criterion before the journal fills; nothing lost', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  // Isolate the journal criteria: a throttled link is slow, not failed, so latency must not be what trips.
  await cluster.configSet('maxRttMs', '60s');
  await cluster.configSet('maxWriteLatencyMs', '60s');
  await cluster.configSet('maxNetInflowBytesPerSec', '4MiB');
  // Stay in delta while throttled; the return to continuous is checked after the restore.
  await cluster.configSet('healthyForMs', '60s');

  cluster.proxy.throttle(THROTTLE_BYTES_PER_SEC);
  const throttledAt = Date.now();
  const writer = await HostWriter.start({ port: cluster.primary!.port, depth: 4, next: randomExtents(SIZE) });
  let maxFill = 0;
  const switched = await cluster.waitFor(
    'the switch to delta',
    (s) => {
      maxFill = Math.max(maxFill, s.journal.usedBytes / s.journal.capacity);
      return switchedToDelta(s);
    },
    20_000,
    50,
  );
  const elapsedS = (Date.now() - throttledAt) / 1000;
  const writeRate = writer.stats.bytes / elapsedS;
  await sleep(1_000);
  const stats = await writer.stop();

  // The premise: the host wrote faster than the link could carry.
  expect(writeRate).toBeGreaterThan(2 * THROTTLE_BYTES_PER_SEC);
  expect(stats.errors).toEqual([]);
  expect(['journal-overflow-risk', 'journal-nearly-full']).toContain(switched.lastSwitch!.reason);
  expect(switched.lastSwitch!.at).toBeGreaterThanOrEqual(throttledAt);
  expect(maxFill).toBeLessThan(1);
  // Once in delta nothing goes to the journal: it is folded and trimmed once what was in flight on the slow link has landed.
  const after = await cluster.waitFor('the queue folded into the delta table', (s) => s.journal.entries === 0, 20_000, 50);
  expect(after.lastSwitch!.reason).not.toBe('journal-full');

  cluster.proxy.restore();
  await cluster.configSet('healthyForMs', '500ms');
  const done = await cluster.waitQuiesced(30_000);
  expect(done.lastSwitch).toMatchObject({ to: 'continuous', reason: 'link-healthy' });
  report('throttle', { reason: switched.lastSwitch!.reason, switchAfterS: elapsedS, writeRateBytesPerSec: Math.round(writeRate), throttle: THROTTLE_BYTES_PER_SEC, maxJournalFill: maxFill, proxyMaxQueue: 'bounded 256 KiB/direction' });
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);
});

/**
 * The same throttle in synchronous mirroring: there is no journal to overflow, so each host
 * write waits for the slow link; a latency criterion (write latency over 1 s, or the ping's
 * round trip, queued behind the data, over 250 ms) takes the primary to delta, where writes
 * complete locally again. Nothing is lost.
 */
test('throttled link, sync: write latency trips, host writes stop waiting on the link; nothing lost', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'auto', sync: true });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  await cluster.configSet('healthyForMs', '60s');

  cluster.proxy.throttle(THROTTLE_BYTES_PER_SEC);
  const throttledAt = Date.now();
  const writer = await HostWriter.start({ port: cluster.primary!.port, depth: 4, next: randomExtents(SIZE) });
  const switched = await cluster.waitFor('the switch to delta', switchedToDelta, 20_000, 50);
  const switchAfterS = (Date.now() - throttledAt) / 1000;
  // In delta the host writes no longer wait for the link: a second of them completes quickly.
  const ackedAtSwitch = writer.stats.acked;
  await sleep(1_000);
  const ackedInDelta = writer.stats.acked - ackedAtSwitch;
  const stats = await writer.stop();
  expect(stats.errors).toEqual([]);
  expect(['write-latency-high', 'rtt-high', 'link-failed']).toContain(switched.lastSwitch!.reason);
  // 256 KiB/s carries ~4 writes of 64 KiB a second; local writes are far more.
  expect(ackedInDelta).toBeGreaterThan(20);
  expect(stats.maxLatencyMs).toBeLessThan(6_000);

  cluster.proxy.restore();
  await cluster.configSet('healthyForMs', '500ms');
  const done = await cluster.waitQuiesced(30_000);
  expect(done.lastSwitch).toMatchObject({ to: 'continuous', reason: 'link-healthy' });
  report('throttle (sync)', { reason: switched.lastSwitch!.reason, switchAfterS, ackedInDeltaPerSecond: ackedInDelta, maxHostWriteLatencyMs: Math.round(stats.maxLatencyMs) });
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);
});
