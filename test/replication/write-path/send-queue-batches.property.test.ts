/**
 * The send queue's batches, for any interleaving of host changes arriving, being
 * acknowledged, host barriers and shipping: a batch holds only acknowledged changes, none
 * acknowledged before another in the batch arrived, none overlapping another; everything
 * acknowledged before a change arrived (what it may depend on, across a host barrier too)
 * went in an earlier batch, so one backup flush ahead of a batch that spans barriers orders
 * it after all it depends on; batches go out in queue order; and spilling to the journal
 * keeps the queue's order (so a confirmed prefix trims a prefix of the journal), discards
 * included, and stops short of the memory bound only at a change not yet applied.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendQueue, type QueuedChange } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

type Step = { kind: 'push'; block: number; blocks: number; discard: boolean } | { kind: 'ack'; pick: number } | { kind: 'barrier' } | { kind: 'ship'; max: number } | { kind: 'confirm' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), block: fc.integer({ min: 0, max: 15 }), blocks: fc.integer({ min: 1, max: 4 }), discard: fc.boolean() }) },
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
        const bound = spillAll ? 1 : 1 << 30;
        const queue = new SendQueue(journal, bound);
        const t = { now: 0 };
        const pushedAt = new Map<QueuedChange, number>();
        const ackedAt = new Map<QueuedChange, number>();
        const pending: QueuedChange[] = [];
        const shipped = new Set<QueuedChange>();
        let lastShippedSeq = 0;
        for (const step of steps) {
          t.now++;
          if (step.kind === 'push') {
            const c = queue.push(step.block * BLOCK, step.blocks * BLOCK, step.discard ? undefined : Buffer.alloc(step.blocks * BLOCK, step.block), t.now);
            pushedAt.set(c, t.now);
            pending.push(c);
          } else if (step.kind === 'ack' && pending.length > 0) {
            const [c] = pending.splice(step.pick % pending.length, 1);
            queue.acknowledged(c!);
            ackedAt.set(c!, t.now);
            await queue.spill();
            // Spilled down to the bound, discards passed in their place; only a change not yet applied (acknowledged here) stops it.
            if (queue.memoryUsed > bound) {
              const firstInMemory = queue.changes.findIndex((q) => q.data && !q.spilled);
              expect(queue.changes.slice(0, firstInMemory + 1).some((q) => !q.applied), 'memory over the bound with nothing unapplied ahead').toBe(true);
            }
          } else if (step.kind === 'barrier') {
            queue.barrier();
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
              }
            }
            for (const c of batch) {
              // What the host saw done before `c` arrived is on the backup before it (a flush ahead of the batch makes it durable first).
              for (const [d, at] of ackedAt) if (at < pushedAt.get(c)!) expect(shipped.has(d), `#${d.seq} acknowledged before #${c.seq} arrived, not shipped before it`).toBe(true);
            }
            queue.sending(batch);
            queue.shipped(batch);
            for (const c of batch) shipped.add(c);
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

  it('with every write FUA, the writes the host had in flight together go in one batch across the barriers their acknowledgements made', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const queue = new SendQueue(journal, 1 << 30);
    const fua = (c: QueuedChange) => {
      queue.acknowledged(c);
      queue.barrier();
    };
    const push = (block: number) => queue.push(block * BLOCK, BLOCK, Buffer.alloc(BLOCK, block), 0);
    // Queue depth 2: a new write each time one is acknowledged.
    const [a, b] = [push(0), push(1)];
    fua(a);
    const c = push(2);
    fua(b);
    const d = push(3);
    fua(c);
    fua(d);
    expect(queue.nextBatch(16, Infinity)).toEqual([a, b]);
    queue.sending([a, b]);
    queue.shipped([a, b]);
    // c arrived after a's barrier, d after b's: both depend only on the batch before; d on neither c nor the other way.
    const next = queue.nextBatch(16, Infinity);
    expect(next).toEqual([c, d]);
    expect(next.map((x) => x.epoch)).toEqual([1, 2]);
    await journal.close();
  });
});
