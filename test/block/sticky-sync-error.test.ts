/**
 * StickySyncError's two modes (src/block/sticky-sync-error.ts). Syncs on one descriptor can
 * split a write-back error (the kernel tells it to one of them): a successful sync waits for
 * every sync that overlapped it, and fails if one of them did. With `exclusiveDescriptors`
 * (each sync alone on a description of its own: sync-descriptors.ts) none can take another's
 * error: a successful sync resolves at once, unless a failure was recorded before it completed.
 */
import { describe, expect, it } from 'vitest';
import { StickySyncError, type SyncFailure } from '../../src/block/sticky-sync-error.js';

const eio: SyncFailure = { code: 'EIO', errno: 5, message: 'EIO: injected', syscall: 'fdatasync' };

/** A sync the test settles. */
function heldSync(sticky: StickySyncError): { sync: () => Promise<void>; succeed(): void; fail(): void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const p = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return {
    sync: () => p,
    succeed: () => resolve(),
    fail: () => {
      sticky.syncFailed(eio);
      reject(Object.assign(new Error('EIO'), { code: 'EIO' }));
    },
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function track(p: Promise<void>): { readonly state: string } {
  const t = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (e: { code?: string }) => (t.state = `rejected ${e.code}`),
  );
  return t;
}

describe('StickySyncError', () => {
  it('on one descriptor: a successful sync waits for one that overlapped it, and fails with it', async () => {
    const sticky = new StickySyncError('x', undefined);
    const a = heldSync(sticky);
    const b = heldSync(sticky);
    const ta = track(sticky.run(a.sync));
    const tb = track(sticky.run(b.sync));
    b.succeed();
    await turn();
    expect(tb.state).toBe('pending');
    a.fail();
    await turn();
    expect(ta.state).toBe('rejected EIO');
    expect(tb.state).toBe('rejected EIO');
  });

  it('on descriptions of their own: a successful sync resolves at once, though a slower one overlaps it', async () => {
    const sticky = new StickySyncError('x', undefined, true);
    const a = heldSync(sticky);
    const b = heldSync(sticky);
    const ta = track(sticky.run(a.sync));
    const tb = track(sticky.run(b.sync));
    b.succeed();
    await turn();
    expect(tb.state).toBe('resolved');
    expect(ta.state).toBe('pending');
    a.fail();
    await turn();
    expect(ta.state).toBe('rejected EIO');
    // Sticky all the same: later syncs are refused without running.
    let ran = false;
    await expect(
      sticky.run(() => {
        ran = true;
        return Promise.resolve();
      }),
    ).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('reopened') });
    expect(ran).toBe(false);
  });

  it('on descriptions of their own: a sync that succeeds after another failed is refused', async () => {
    const sticky = new StickySyncError('x', undefined, true);
    const a = heldSync(sticky);
    const b = heldSync(sticky);
    const ta = track(sticky.run(a.sync));
    const tb = track(sticky.run(b.sync));
    a.fail();
    await turn();
    b.succeed();
    await turn();
    expect(ta.state).toBe('rejected EIO');
    expect(tb.state).toBe('rejected EIO');
    expect(sticky.failed).toBe(true);
  });
});
