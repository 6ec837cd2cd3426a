/**
 * Failure matrix 2: cut the link under steady writes (connections reset and refused), or
 * stall it (connections held open, nothing forwarded: only timeouts tell). `auto` leaves continuous mirroring
 * for delta within the detection time (link operation timeout 5 s + one 1 s tick), host
 * writes keep being acknowledged without stalling past the link timeout; once the link is
 * back: final delta pass, continuous again, images identical.
 */
import { expect, test } from 'vitest';
import { report, sleep, switchedToDelta } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { HostWriter, randomExtents } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
/** IscsiReplicaLink's operation timeout (5 s) plus one engine tick (1 s) plus scheduling slack. */
const DETECTION_BOUND_MS = 8_000;
/** The link timeout: no host write may wait on the backup for longer. */
const HOST_STALL_BOUND_MS = 5_000;

const startCluster = clusterPerTest();

const cases = [
  ['cut', 'async'],
  ['cut', 'sync'],
  ['stall', 'async'],
  ['stall', 'sync'],
] as const;

for (const [fault, flavour] of cases) {
  test(`${flavour}: ${fault} link → delta within the detection time, writes keep completing; restore → final pass, continuous, identical`, async () => {
    const cluster = await startCluster(SIZE);
    await cluster.startPrimary({ mode: 'auto', sync: flavour === 'sync' });
    await cluster.configSet('healthyForMs', '1s');
    await cluster.waitContinuous();

    const writer = await HostWriter.start({ port: cluster.primary!.port, depth: 2, next: randomExtents(SIZE), pauseMs: 5 });
    await sleep(1_000);
    const before = writer.stats.acked;
    expect(before).toBeGreaterThan(0);

    const cutAt = Date.now();
    if (fault === 'cut') cluster.proxy.cut();
    else cluster.proxy.stall();
    const switched = await cluster.waitFor('the switch to delta', switchedToDelta, DETECTION_BOUND_MS + 2_000, 50);
    const detectedInMs = Date.now() - cutAt;
    expect(switched.lastSwitch).toMatchObject({ from: 'continuous', to: 'delta', reason: 'link-failed' });
    expect(detectedInMs).toBeLessThan(DETECTION_BOUND_MS);

    // Writes go on while the link is down: acknowledged, and none waits past the link timeout.
    const ackedAtSwitch = writer.stats.acked;
    await sleep(2_000);
    expect(writer.stats.acked).toBeGreaterThan(ackedAtSwitch + 10);
    const stillDelta = await cluster.status();
    expect(stillDelta.state).toBe('delta');
    expect(stillDelta.dirtyChunks).toBeGreaterThan(0);

    cluster.proxy.restore();
    const back = await cluster.waitFor('the return to continuous', (s) => s.state === 'continuous', 20_000);
    expect(back.lastSwitch).toMatchObject({ to: 'continuous', reason: 'link-healthy' });
    expect(back.lastPass).toBeDefined();
    // The final pass ran after the cut: it is what brought the backup up to date.
    expect(back.lastPass!.at).toBeGreaterThan(cutAt);

    const stats = await writer.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.maxLatencyMs).toBeLessThan(HOST_STALL_BOUND_MS + 1_000);
    await cluster.waitQuiesced(20_000);
    report(`link ${fault} (${flavour})`, { detectedInMs, maxHostWriteLatencyMs: Math.round(stats.maxLatencyMs), acked: stats.acked, finalPass: back.lastPass });
    const { primary, backup } = cluster.hashes();
    expect(backup).toBe(primary);
  });
}
