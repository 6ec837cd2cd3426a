/**
 * The send queue's batches, for any interleaving of host changes arriving, being
 * acknowledged, host barriers and shipping: a batch holds only acknowledged changes, none
 * acknowledged before another in the batch arrived, none overlapping another, all between
 * the same two barriers; batches go out in queue order; and spilling to the journal keeps
 * the queue's order (so a confirmed prefix trims a prefix of the journal).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendQueue, type QueuedChange } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

type Step = { kind: 'push'; block: number; blocks: number } | { kind: 'ack'; pick: number } | { kind: 'barrier' } | { kind: 'ship'; max: number } | { kind: 'confirm' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), block: fc.integer({ min: 0, max: 15 }), blocks: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'barrier' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ship' as const), max: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'confirm' as const }) },
);

const BLOCK = 512;

describe('send queue batches', () => {
  it('never put two changes in one batch that the host ordered, and ship in queue order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 80 }), fc.boolean(), async (steps, spillAll) => {
        const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
        // A tiny memory bound: every acknowledged change spills (spillAll), or none does.
        const queue = new SendQueue(journal, spillAll ? 1 : 1 << 30);
        const t = { now: 0 };
        const pushedAt = new Map<QueuedChange, number>();
        const ackedAt = new Map<QueuedChange, number>();
        const barriers: number[] = [];
        const pending: QueuedChange[] = [];
        let lastShippedSeq = 0;
        for (const step of steps) {
          t.now++;
          if (step.kind === 'push') {
            const c = queue.push(step.block * BLOCK, step.blocks * BLOCK, Buffer.alloc(step.blocks * BLOCK, step.block), t.now);
            pushedAt.set(c, t.now);
            pending.push(c);
          } else if (step.kind === 'ack' && pending.length > 0) {
            const [c] = pending.splice(step.pick % pending.length, 1);
            queue.acknowledged(c!);
            ackedAt.set(c!, t.now);
            await queue.spill();
          } else if (step.kind === 'barrier') {
            queue.barrier();
            barriers.push(t.now);
          } else if (step.kind === 'ship') {
            const batch = queue.nextBatch(step.max, Infinity);
            expect(batch.length).toBeLessThanOrEqual(step.max);
            for (const c of batch) {
              expect(ackedAt.has(c)).toBe(true);
              // In queue order, after everything shipped before.
              expect(c.seq).toBeGreaterThan(lastShippedSeq);
              lastShippedSeq = c.seq;
            }
            for (const a of batch) {
              for (const b of batch) {
                if (a === b) continue;
                // The host saw `a` done before it sent `b`: `b` may depend on it.
                expect(ackedAt.get(a)! < pushedAt.get(b)!, `#${a.seq} acknowledged before #${b.seq} arrived`).toBe(false);
                const overlap = a.offset < b.offset + b.length && b.offset < a.offset + a.length;
                expect(overlap, `#${a.seq} and #${b.seq} overlap`).toBe(false);
                // No barrier between their arrivals.
                const [first, second] = a.seq < b.seq ? [a, b] : [b, a];
                expect(barriers.some((at) => at > pushedAt.get(first)! && at < pushedAt.get(second)!), `a barrier between #${first.seq} and #${second.seq}`).toBe(false);
              }
            }
            queue.sending(batch);
            queue.shipped(batch);
          } else if (step.kind === 'confirm') {
            await queue.confirmShipped();
          }
        }
        // The journal holds the spilled changes still queued (shipped and unconfirmed, then unshipped), in the queue's order.
        const spilledSeqs: number[] = [];
        queue.forEachUnconfirmed((_offset, _length, _discard, seq) => seq > 0 && spilledSeqs.push(seq));
        spilledSeqs.push(...queue.changes.filter((c) => c.spilled).map((c) => c.spilled!.seq));
        expect(spilledSeqs).toEqual([...spilledSeqs].sort((a, b) => a - b));
        expect(journal.pending().map((e) => e.seq)).toEqual(spilledSeqs);
        await journal.close();
      }),
      { numRuns: 150 },
    );
  });
});
