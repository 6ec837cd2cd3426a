import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { FakeLink } from './fake-link.js';
import { VOLUME, expectIdentical, openHarness, quiesce, reachContinuous, type Harness } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

/** A local store whose first write is held back, so a later overlapping write could overtake it. */
class SlowFirstWriteStore extends MemoryBlockStore {
  private first = true;
  override async write(buf: Buffer, offset: number, fua?: boolean): Promise<void> {
    if (this.first) {
      this.first = false;
      await new Promise((r) => setTimeout(r, 30));
    }
    return super.write(buf, offset, fua);
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.device.close();
  h = undefined;
});

describe('overlapping writes in flight together', () => {
  for (const flavour of ['sync', 'async'] as const) {
    it(`land in the same order on the primary and the backup (${flavour})`, async () => {
      const local = new SlowFirstWriteStore({ size: VOLUME, path: 'primary' });
      h = await openHarness(tempMetaDir(), { mode: 'auto', flavour }, { local, link: new FakeLink(VOLUME) });
      await reachContinuous(h);
      // Arm the slow path only now: the first sync above must not consume it.
      (local as unknown as { first: boolean }).first = true;
      const a = h.device.write(Buffer.alloc(4096, 0xaa), 8192);
      const b = h.device.write(Buffer.alloc(4096, 0xbb), 8192);
      await Promise.all([a, b]);
      await quiesce(h);
      await expectIdentical(h);
      const onPrimary = Buffer.alloc(4096);
      await h.local.read(onPrimary, 8192);
      // The later write wins on both sides.
      expect(onPrimary.every((x) => x === 0xbb)).toBe(true);
    });
  }
});
