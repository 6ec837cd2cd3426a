/**
 * PassLink.settled: resolves only once every operation started through the link has settled,
 * failed ones included (a refused STAGED WRITE must not let the pass end while its chunk's
 * other writes are still on their way), and operations keep their own outcome.
 */
import { describe, expect, it } from 'vitest';
import { PassLink } from '../../../src/replication/pass-link.js';
import type { ReplicaLink } from '../../../src/replication/replica-link.js';

/** A link whose staged writes each wait for the test to settle them. */
function heldLink() {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const link = {
    stagedWrite: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
  } as unknown as ReplicaLink;
  return { link, pending };
}

async function settledYet(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('PassLink.settled', () => {
  it('waits for every operation, a failed one included, and each keeps its outcome', async () => {
    const { link, pending } = heldLink();
    const pass = new PassLink(link);
    const first = pass.stagedWrite(Buffer.alloc(512), 0);
    const second = pass.stagedWrite(Buffer.alloc(512), 512);
    const firstOutcome = first.then(
      () => 'ok',
      (e: Error) => e.message,
    );
    const settled = pass.settled();
    expect(await settledYet(settled)).toBe(false);

    pending[0]!.reject(new Error('refused: another pass is open'));
    expect(await firstOutcome).toBe('refused: another pass is open');
    expect(await settledYet(settled)).toBe(false);

    // One started while the pass waits is waited for too.
    const third = pass.stagedWrite(Buffer.alloc(512), 1024);
    pending[1]!.resolve();
    await second;
    expect(await settledYet(settled)).toBe(false);
    pending[2]!.resolve();
    await third;
    expect(await settledYet(settled)).toBe(true);
  });

  it('resolves at once with nothing started, and again after everything settled', async () => {
    const { link, pending } = heldLink();
    const pass = new PassLink(link);
    expect(await settledYet(pass.settled())).toBe(true);
    const write = pass.stagedWrite(Buffer.alloc(512), 0);
    pending[0]!.resolve();
    await write;
    expect(await settledYet(pass.settled())).toBe(true);
  });
});
