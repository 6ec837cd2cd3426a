/**
 * A primary whose backup is unreachable when it starts serves at once, tracks writes in
 * the delta table, and binds the replica (checking its volume tag) once it answers.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { LazyReplicaLink } from '../../src/replication/lazy-replica-link.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { FakeLink } from './fake-link.js';
import { VOLUME } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

async function openAway(backup: FakeLink, reachable: { now: boolean }, clock: { now: number }) {
  const local = new MemoryBlockStore({ size: VOLUME, path: 'primary' });
  const link = new LazyReplicaLink({
    connect: async () => {
      if (!reachable.now) throw new Error('connect ECONNREFUSED');
      return backup;
    },
    size: VOLUME,
    blockSize: 512,
    firstError: 'connect ECONNREFUSED',
    retryMs: 1000,
    clock: () => clock.now,
  });
  const device = await ReplicatedDevice.open({ local, link, metaDir: tempMetaDir(), tickMs: 0, clock: () => clock.now, thresholds: { healthyForMs: 1000 } });
  const tick = async (ms: number) => {
    clock.now += ms;
    await device.tick();
  };
  return { local, link, device, tick };
}

describe('replica unreachable at start', () => {
  it('serves and tracks writes, then binds, resyncs and mirrors once the backup answers', async () => {
    const clock = { now: 1_000_000 };
    const reachable = { now: false };
    const backup = new FakeLink(VOLUME);
    const { local, device, tick } = await openAway(backup, reachable, clock);
    expect(device.status()).toMatchObject({ state: 'delta', binding: { state: 'pending' } });
    await device.write(randomBytes(8192), 65536);
    await tick(2000);
    await expect(device.replicateNow()).rejects.toThrow(/not usable yet/);
    expect(device.status().binding.state).toBe('pending');
    expect(backup.tags).toEqual([]);

    reachable.now = true;
    for (let i = 0; i < 6 && device.status().state !== 'continuous'; i++) await tick(1500);
    expect(device.status()).toMatchObject({ state: 'continuous', binding: { state: 'bound' } });
    expect(backup.tags).toHaveLength(1);
    await device.write(randomBytes(4096), 0);
    // Wait for the flusher to drain the journal (bounded generously), not a fixed time.
    await vi.waitFor(() => expect(device.status().journal.entries).toBe(0), { timeout: 20_000, interval: 5 });
    const [a, b] = await Promise.all([local.sha256(0, VOLUME), backup.backup.sha256(0, VOLUME)]);
    expect(b.equals(a)).toBe(true);
    await device.close();
  });

  it('a replica that turns out to be another volume\'s is refused for good: nothing is sent', async () => {
    const clock = { now: 1_000_000 };
    const reachable = { now: true };
    const backup = new FakeLink(VOLUME);
    backup.tags = [0x1234n];
    const { device, tick } = await openAway(backup, reachable, clock);
    for (let i = 0; i < 4; i++) await tick(1500);
    const status = device.status();
    expect(status.binding.state).toBe('refused');
    expect(status.binding.error).toMatch(/belongs to another volume/);
    expect(status.state).toBe('delta');
    expect(backup.health().bytesWritten).toBe(0);
    expect(backup.tags).toEqual([0x1234n]);
    await expect(device.replicateNow()).rejects.toThrow(/belongs to another volume/);
    await device.close();
  });

  it('a backup smaller than the LUN is written nothing until it answers grown, then is resynchronised', async () => {
    const clock = { now: 1_000_000 };
    const backup = new FakeLink(VOLUME);
    // The peer answers as a LUN of half the size (a primary grown before its backup).
    let peerSize = VOLUME / 2;
    backup.capacity = () => Promise.resolve({ size: peerSize, blockSize: 512 });
    const { local, device, tick } = await openAway(backup, { now: true }, clock);
    await device.write(randomBytes(8192), VOLUME - 8192);
    for (let i = 0; i < 3; i++) await tick(1500);
    expect(device.status()).toMatchObject({ state: 'delta', binding: { state: 'pending' } });
    expect(device.status().binding.error).toMatch(new RegExp(`the replica is ${VOLUME / 2} bytes, smaller than this LUN \\(${VOLUME}\\): grow it`));
    expect(backup.health().bytesWritten).toBe(0);
    expect(backup.tags).toEqual([]);

    peerSize = VOLUME;
    for (let i = 0; i < 6 && device.status().state !== 'continuous'; i++) await tick(1500);
    expect(device.status()).toMatchObject({ state: 'continuous', binding: { state: 'bound' } });
    const [a, b] = await Promise.all([local.sha256(0, VOLUME), backup.backup.sha256(0, VOLUME)]);
    expect(b.equals(a)).toBe(true);
    await device.close();
  });

  it('a larger backup is replicated onto (a pair is grown backup first); one of another block size never', async () => {
    const clock = { now: 1_000_000 };
    const larger = new FakeLink(VOLUME * 2);
    const opened = await openAway(larger, { now: true }, clock);
    await opened.device.write(randomBytes(4096), VOLUME - 4096);
    for (let i = 0; i < 6 && opened.device.status().state !== 'continuous'; i++) await opened.tick(1500);
    expect(opened.device.status()).toMatchObject({ state: 'continuous', binding: { state: 'bound' } });
    await vi.waitFor(() => expect(opened.device.status().journal.entries).toBe(0), { timeout: 20_000, interval: 5 });
    const [a, b] = await Promise.all([opened.local.sha256(0, VOLUME), larger.backup.sha256(0, VOLUME)]);
    expect(b.equals(a)).toBe(true);
    await opened.device.close();

    const other = new FakeLink(VOLUME);
    other.capacity = () => Promise.resolve({ size: VOLUME, blockSize: 4096 });
    const { device, tick } = await openAway(other, { now: true }, { now: 1_000_000 });
    for (let i = 0; i < 3; i++) await tick(1500);
    expect(device.status().binding).toMatchObject({ state: 'pending', error: expect.stringMatching(/4096-byte blocks, this LUN 512-byte ones/) });
    expect(other.health().bytesWritten).toBe(0);
    await device.close();
  });

  it("health tells a peer away from one that answers and refuses, attempt by attempt", async () => {
    const clock = { now: 0 };
    const answer = { refuses: false };
    const link = new LazyReplicaLink({
      connect: () => Promise.reject(new Error(answer.refuses ? 'login failed: authentication failure' : 'connect ECONNREFUSED')),
      refused: (e) => /authentication/.test((e as Error).message),
      size: VOLUME,
      blockSize: 512,
      firstError: 'connect ECONNREFUSED',
      retryMs: 1000,
      clock: () => clock.now,
    });
    expect(link.health()).toMatchObject({ up: false, answering: false });
    answer.refuses = true;
    clock.now += 1000;
    await expect(link.ping()).rejects.toThrow(/authentication failure/);
    expect(link.health()).toMatchObject({ up: false, answering: true, lastError: 'login failed: authentication failure' });
    answer.refuses = false;
    clock.now += 1000;
    await expect(link.ping()).rejects.toThrow(/ECONNREFUSED/);
    expect(link.health()).toMatchObject({ up: false, answering: false });
    await link.close();
  });
});
