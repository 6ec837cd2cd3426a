/**
 * A native call the addon refuses by throwing (a bad argument) is not left counted in flight:
 * close() still completes. IoGate counts an operation before calling the addon and ends it
 * from the addon's callback; a call that throws never calls back. Queued reads and writes
 * whose batch the addon refuses are rejected, not left waiting (nor thrown from a microtask).
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { native } from '../../src/native/index.js';
import { makeTempDir } from './temp-dir.js';

const settlesWithin = <T>(p: Promise<T>, ms: number): Promise<'settled' | 'pending'> =>
  Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('close() after the addon refused a call', () => {
  const temp = makeTempDir('refused-call');
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => temp.remove());

  it('after allocation() with a negative maxLength (the store checks pass, the addon throws)', async () => {
    const store = await FileBlockStore.open({ path: temp.file('a.img'), size: 1 << 20 });
    const refused = await store.allocation(0, -1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RangeError);
    expect(await settlesWithin(store.close(), 2000), 'close() hung: the refused call is still counted in flight').toBe('settled');
  });

  it('after allocationMap() with a NaN extent bound', async () => {
    const store = await FileBlockStore.open({ path: temp.file('b.img'), size: 1 << 20 });
    await expect(store.allocationMap(0, 1 << 20, Number.NaN)).rejects.toBeInstanceOf(Error);
    expect(await settlesWithin(store.close(), 2000), 'close() hung: the refused call is still counted in flight').toBe('settled');
  });

  it('after flush, writev and discard calls that throw', async () => {
    const store = await FileBlockStore.open({ path: temp.file('c.img'), size: 1 << 20 });
    const bad = new TypeError('refused by the addon');
    for (const name of ['fdatasync', 'pwritev', 'pwritevFua', 'discard'] as const) {
      vi.spyOn(native, name).mockImplementation(() => {
        throw bad;
      });
    }
    await expect(store.flush()).rejects.toBe(bad);
    await expect(store.writev([Buffer.alloc(512)], 0)).rejects.toBe(bad);
    await expect(store.writev([Buffer.alloc(512)], 0, true)).rejects.toBe(bad);
    await expect(store.discard(0, 4096)).rejects.toBe(bad);
    expect(await settlesWithin(store.close(), 2000)).toBe('settled');
  });

  it('queued reads and writes whose batch the addon refuses are rejected, and close() completes', async () => {
    const store = await FileBlockStore.open({ path: temp.file('d.img'), size: 4 << 20 });
    const bad = new TypeError('refused by the addon');
    vi.spyOn(native, 'transferBatch').mockImplementation(() => {
      throw bad;
    });
    vi.spyOn(native, 'transferInline').mockImplementation(() => {
      throw bad;
    });
    // Small and large, plain and FUA: the inline path, several batches, the write lane.
    const ops = [
      store.read(Buffer.alloc(4096), 0),
      store.write(Buffer.alloc(4096), 0),
      store.write(Buffer.alloc(4096), 8192, true),
      ...Array.from({ length: 6 }, (_, i) => store.write(Buffer.alloc(256 << 10), (i + 1) << 19)),
    ];
    const outcomes = await Promise.all(ops.map((p) => settlesWithin(p.catch((e: unknown) => Promise.reject(e)), 2000)));
    expect(outcomes.every((o) => o === 'settled')).toBe(true);
    for (const p of ops) await expect(p).rejects.toBe(bad);
    vi.restoreAllMocks();
    // The store still works: nothing is stuck in the write lane.
    await expect(store.write(Buffer.alloc(256 << 10, 3), 0)).resolves.toBeUndefined();
    expect(await settlesWithin(store.close(), 2000), 'close() hung: refused batch ops are still counted in flight').toBe('settled');
  });
});
