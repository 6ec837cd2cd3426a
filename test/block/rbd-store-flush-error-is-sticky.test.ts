/**
 * A failed flush of an RBD image fails every later flush and FUA write until the image is
 * reopened, as in the file store (flush-error-is-sticky.test.ts). librbd's write-around
 * cache acknowledges a write before the OSDs have it and reports its failure to the first
 * flush that completes after it only: the next flush succeeds over a write the OSDs never
 * took. librbd is faked here (the addon's rbdOpen, answering each request as the test
 * scripts it): no cluster is needed, and what librbd answers is the test's to choose.
 */
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RBD_AVAILABLE, RbdBlockStore } from '../../src/block/rbd-store.js';
import { native, type NativeAddon, type NativeRbdImage } from '../../src/native/index.js';
import { outcome, capturingLogger } from './kernel-rig.js';

const SIZE = 1 << 20;
const EIO = -5;
const ENOSPC = -28;
const ETIMEDOUT = -110;

type Call = 'read' | 'write' | 'fua' | 'flush' | 'discard';

/** A fake librbd image: each request completes on a later turn with the next scripted result for its call (0 when none). */
function fakeLibrbd(): { script(call: Call, ...results: number[]): void; held(call: Call): (result: number) => void; readonly calls: Call[] } {
  const scripted = new Map<Call, number[]>();
  const holding = new Set<Call>();
  const heldCompletions: Array<{ call: Call; complete: (result: number) => void }> = [];
  const calls: Call[] = [];
  let complete: (pairs: Int32Array) => void = () => undefined;
  const request = (call: Call, id: number): number => {
    calls.push(call);
    const answer = (result: number) => complete(Int32Array.of(id, result));
    if (holding.has(call)) heldCompletions.push({ call, complete: answer });
    else {
      const result = scripted.get(call)?.shift() ?? 0;
      setImmediate(() => answer(result));
    }
    return 0;
  };
  const image: NativeRbdImage = {
    size: SIZE,
    read: (id, buf) => (buf.fill(0), request('read', id)),
    write: (id, _buf, _offset, fua) => request(fua ? 'fua' : 'write', id),
    flush: (id) => request('flush', id),
    discard: (id) => request('discard', id),
    allocation: (_offset, length, cb) => setImmediate(() => cb(null, { mapped: false, length })),
    digestExtents: (_extents, _algorithm, cb) => setImmediate(() => cb(null, Buffer.alloc(0))),
    close: (cb) => setImmediate(() => cb(null, undefined)),
  };
  vi.spyOn(native as Required<NativeAddon>, 'rbdOpen').mockImplementation((_options, onComplete, cb) => {
    complete = onComplete;
    setImmediate(() => cb(null, image));
  });
  return {
    script: (call, ...results) => scripted.set(call, results),
    /** Holds the requests of `call` from now on; returns a function completing the oldest held one. */
    held: (call) => {
      holding.add(call);
      return (result) => {
        const i = heldCompletions.findIndex((h) => h.call === call);
        heldCompletions.splice(i, 1)[0]!.complete(result);
      };
    },
    calls,
  };
}

describe.skipIf(!RBD_AVAILABLE)('RbdBlockStore flush failures (librbd faked)', () => {
  afterEach(() => vi.restoreAllMocks());
  const open = (logger: Logger = pino({ level: 'silent' })) => RbdBlockStore.open({ pool: 'rbd', image: 'img', logger });

  it('a failed flush fails every later flush and FUA write, without asking librbd; plain writes and reads go on; a reopened image flushes', async () => {
    const rbd = fakeLibrbd();
    const { logger, lines } = capturingLogger();
    const store = await open(logger);
    try {
      await store.write(Buffer.alloc(4096, 1), 0);
      rbd.script('flush', EIO); // the write-around cache's write failed: the first flush hears of it...
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO' });
      const asked = rbd.calls.length;
      // ...and librbd would answer the next one with success: it is not asked.
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('reopened') });
      await expect(store.write(Buffer.alloc(4096, 2), 0, true)).rejects.toMatchObject({ code: 'EIO' });
      await expect(store.write(Buffer.alloc(0), 0, true)).rejects.toMatchObject({ code: 'EIO' });
      expect(rbd.calls.length).toBe(asked);
      await expect(store.write(Buffer.alloc(4096, 3), 4096)).resolves.toBeUndefined();
      await expect(store.read(Buffer.alloc(4096), 4096)).resolves.toBeUndefined();
      expect(lines.filter((l) => l.event === 'writeback-error')).toEqual([
        expect.objectContaining({ level: 50, path: 'rbd:rbd/img', code: 'EIO', syscall: 'rbd_aio_flush' }),
      ]);
    } finally {
      await store.close();
    }
    const reopened = await open();
    try {
      await expect(reopened.flush()).resolves.toBeUndefined();
      await expect(reopened.write(Buffer.alloc(4096, 1), 0, true)).resolves.toBeUndefined();
    } finally {
      await reopened.close();
    }
  });

  it('a flush that succeeds while an overlapping flush fails is refused: librbd told only the first', async () => {
    const rbd = fakeLibrbd();
    const store = await open();
    const completeFlush = rbd.held('flush');
    try {
      const a = outcome(store.flush());
      const b = outcome(store.flush());
      await new Promise((r) => setImmediate(r));
      completeFlush(EIO); // the oldest takes the error...
      completeFlush(0); // ...the other succeeds
      expect(await a).toBe('rejected EIO');
      expect(await b).toBe('rejected EIO');
    } finally {
      await store.close();
    }
  });

  it("a FUA write's own failure does not stick, nor does a flush timed out by the op timeout (the host retries it)", async () => {
    const rbd = fakeLibrbd();
    const store = await open();
    try {
      rbd.script('fua', ENOSPC);
      await expect(store.write(Buffer.alloc(4096, 1), 0, true)).rejects.toMatchObject({ code: 'ENOSPC' });
      await expect(store.flush()).resolves.toBeUndefined();
      rbd.script('flush', ETIMEDOUT);
      await expect(store.flush()).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(store.flush()).resolves.toBeUndefined();
      await expect(store.write(Buffer.alloc(4096, 1), 0, true)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
