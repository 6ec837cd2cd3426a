/**
 * A host write the primary's own image fails may still have changed part of it (pwrite
 * returns short before ENOSPC; an EIO mid-write): the host is told it failed, and the backup
 * must end up with what the primary's image holds there, neither the host's data nor
 * nothing. Found by hand with a primary on a full tmpfs: a 5 MiB write failed with 3.9 MiB
 * of it on the primary's image, none on the backup, and the pair said it was in step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { PAIR_CHUNK, Pair } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** The store, whose next write (once armed) lands in part and then fails as a full disk does. */
function shortWriteOnce(store: BlockDevice): { device: BlockDevice; arm(): void } {
  let armed = false;
  const device = new Proxy(store, {
    get(target, prop) {
      if (prop === 'write') {
        return async (buf: Buffer, offset: number, fua?: boolean): Promise<void> => {
          if (!armed) return target.write(buf, offset, fua);
          armed = false;
          await target.write(buf.subarray(0, buf.length / 2), offset, fua);
          throw Object.assign(new Error('ENOSPC: no space left on device, pwrite'), { code: 'ENOSPC' });
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { device, arm: () => (armed = true) };
}

describe('a host write the primary\'s image fails in part', () => {
  for (const flavour of ['async', 'sync'] as const) {
    it(`${flavour}: the host gets the error, the range is marked, and the backup ends with the primary's image`, async () => {
      pair = new Pair();
      const { a, b } = pair;
      const local = shortWriteOnce(a.store);
      await b.open('backup');
      await a.open('primary', { local: local.device, flavour });
      await pair.tickUntil(() => a.device.status().state === 'continuous');
      expect(a.device.status().state).toBe('continuous');

      await a.device.write(Buffer.alloc(PAIR_CHUNK, 0x11), 3 * PAIR_CHUNK);
      local.arm();
      await expect(a.device.write(Buffer.alloc(2 * PAIR_CHUNK, 0x22), 7 * PAIR_CHUNK), 'the host is told').rejects.toThrow(/ENOSPC/);
      // Half of it is on the primary's image.
      expect((await a.read(7 * PAIR_CHUNK, PAIR_CHUNK)).every((x) => x === 0x22)).toBe(true);
      expect((await a.read(8 * PAIR_CHUNK, PAIR_CHUNK)).every((x) => x === 0)).toBe(true);
      const s = a.device.status();
      expect(s.lastSwitch, 'continuous mirroring left for a pass').toMatchObject({ to: 'delta', reason: 'local-write-failed' });
      expect(s.dirtyChunks).toBeGreaterThanOrEqual(2);

      await pair.tickUntil(() => a.device.status().state === 'continuous' && a.device.status().dirtyChunks === 0 && a.device.status().journal.entries === 0);
      expect(a.device.status().state).toBe('continuous');
      expect((await b.image()).equals(await a.image()), 'the backup holds what the primary\'s image holds').toBe(true);
    });
  }
});
