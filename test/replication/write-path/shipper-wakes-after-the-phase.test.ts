/**
 * The shipper, waiting for an answer from the backup, looks at new changes once the I/O
 * phase that applied them is over, not in its microtasks: changes in flight on the host
 * together go as one batch even when they are applied one after another, and the host's
 * answers are not held up by the shipping (LoopWaker).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LoopWaker } from '../../../src/replication/loop-waker.js';
import { VOLUME, openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { FakeLink } from '../fake-link.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;
const CHUNK = 65536;
const microtasks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A store whose write at chunk i completes i × 10 microtasks late: completions spread over one phase. */
class StaggeredStore extends MemoryBlockStore {
  override async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    await super.write(buf, offset, fua);
    await microtasks(Math.floor(offset / CHUNK) * 10);
  }
}

describe('shipper: woken after the phase', () => {
  it('writes in flight together but applied over many microtasks go as one batch behind the one in flight', async () => {
    const link = new FakeLink(VOLUME);
    link.scatteredRanges = 16;
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' }, { local: new StaggeredStore({ size: VOLUME, path: 'primary' }), link });
    await reachContinuous(h);
    const release = h.link.hold();
    const mark = h.link.sent.length;
    await h.device.write(Buffer.alloc(B, 9), 0);
    await settle();
    expect(h.link.sent.slice(mark)).toEqual(['write 0']);
    await Promise.all([1, 2, 3, 4, 5].map((i) => h.device.write(Buffer.alloc(B, i), i * CHUNK)));
    await settle();
    // (Woken in the microtasks of each completion, the loop sent five batches of one: a WRITE each.)
    expect(h.link.sent.slice(mark)).toEqual(['write 0', 'scattered 65536,131072,196608,262144,327680 ordered']);
    release();
    await quiesce(h);
    await h.device.close();
  });
});

describe('LoopWaker', () => {
  it('soon() wakes the waiting loop after the current phase, once for several calls; now() at once', async () => {
    const waker = new LoopWaker();
    const never = new Promise<void>(() => undefined);
    const events: string[] = [];
    void waker.answeredOrWoken(never).then((answered) => events.push(`first ${answered}`));
    waker.soon();
    waker.soon();
    await microtasks(50);
    expect(events).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await microtasks(5);
    expect(events).toEqual(['first false']);
    // The second call of the phase woke nothing more: a wait begun now stays until woken.
    void waker.answeredOrWoken(never).then((answered) => events.push(`second ${answered}`));
    await settle();
    expect(events).toEqual(['first false']);
    waker.now();
    await microtasks(5);
    expect(events).toEqual(['first false', 'second false']);
  });

  it('an answer before any wake resolves true; soon() with no loop waiting wakes no later wait', async () => {
    const waker = new LoopWaker();
    waker.soon();
    let answer!: () => void;
    const answered = waker.answeredOrWoken(new Promise<void>((r) => (answer = r)));
    await settle();
    answer();
    expect(await answered).toBe(true);
  });
});
