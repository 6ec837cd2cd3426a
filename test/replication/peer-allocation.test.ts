/**
 * The replica's allocation from its GET LBA STATUS answers (peer-allocation.ts): descriptors
 * become byte extents from the offset asked; anything short of a clear answer counts as
 * allocated; a replica that refuses the command (or is not thin) is asked no more, and the
 * passes onto it challenge everything as before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProvisioningStatus, ScsiCheckConditionError, ScsiDataError, type LbaStatusDescriptor } from '../../src/initiator/index.js';
import { PeerAllocation } from '../../src/replication/peer-allocation.js';
import { capturedLog } from './captured-log.js';

const BS = 512;
const SIZE = 1024 * BS;

function refused(asc: number, key = 0x5): ScsiCheckConditionError {
  return new ScsiCheckConditionError({ format: 'fixed', deferred: false, key, asc, ascq: 0 }, Buffer.from([0x9e, 0x12]));
}

function peer(query: (lba: bigint) => Promise<LbaStatusDescriptor[]>, thin = true) {
  const log = capturedLog();
  let calls = 0;
  const allocation = new PeerAllocation((lba) => (calls++, query(lba)), BS, SIZE, thin, log.logger);
  return { allocation, log, calls: () => calls };
}

const { MAPPED, DEALLOCATED, ANCHORED } = ProvisioningStatus;

describe('the replica\'s allocation by GET LBA STATUS', () => {
  it('turns descriptors into byte extents from the offset asked, clipped to the length asked', async () => {
    const { allocation } = peer(async () => [
      { lba: 0n, blocks: 8, status: MAPPED },
      { lba: 8n, blocks: 100, status: DEALLOCATED },
      { lba: 108n, blocks: 4, status: ANCHORED },
      { lba: 112n, blocks: 900, status: DEALLOCATED },
    ]);
    expect(await allocation.extents(4 * BS, 200 * BS)).toEqual([
      { offset: 4 * BS, length: 4 * BS, mapped: true },
      { offset: 8 * BS, length: 100 * BS, mapped: false },
      // Anchored (and any status but deallocated) may hold data: challenged, never skipped.
      { offset: 108 * BS, length: 4 * BS, mapped: true },
      { offset: 112 * BS, length: 92 * BS, mapped: false },
    ]);
  });

  it('trusts nothing after a gap between descriptors', async () => {
    const { allocation } = peer(async () => [
      { lba: 0n, blocks: 8, status: DEALLOCATED },
      { lba: 16n, blocks: 8, status: DEALLOCATED },
    ]);
    expect(await allocation.extents(0, SIZE)).toEqual([{ offset: 0, length: 8 * BS, mapped: false }]);
  });

  it.each([
    ['INVALID COMMAND OPERATION CODE', 0x20],
    ['INVALID FIELD IN CDB', 0x24],
  ])('a replica answering ILLEGAL REQUEST / %s cannot tell, from then on, and is not asked again', async (_, asc) => {
    const p = peer(() => Promise.reject(refused(asc)));
    expect(await p.allocation.extents(0, SIZE)).toBeUndefined();
    expect(await p.allocation.extents(BS, SIZE)).toBeUndefined();
    expect(p.calls()).toBe(1);
    expect(p.log.events('replica-allocation-unknown')).toMatchObject([{ reason: 'refused' }]);
  });

  it('a malformed answer counts as unknown; a replica that is not thin is never asked', async () => {
    const malformed = peer(() => Promise.reject(new ScsiDataError('GET LBA STATUS returned no descriptor')));
    expect(await malformed.allocation.extents(0, SIZE)).toBeUndefined();
    const thick = peer(async () => [{ lba: 0n, blocks: 1024, status: DEALLOCATED }], false);
    expect(await thick.allocation.extents(0, SIZE)).toBeUndefined();
    expect(thick.calls()).toBe(0);
  });

  it('a failure of the link is no answer about allocation: it fails the pass as any command would', async () => {
    const p = peer(() => Promise.reject(refused(0x29, 0x6)));
    await expect(p.allocation.extents(0, SIZE)).rejects.toBeInstanceOf(ScsiCheckConditionError);
    const q = peer(() => Promise.reject(new Error('connection reset')));
    await expect(q.allocation.extents(0, SIZE)).rejects.toThrow(/connection reset/);
  });

  it('whatever the descriptors, the extents start where asked, run on without gaps or overlaps, and stay in range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.constantFrom(0, 0, 0, 3), blocks: fc.integer({ min: 1, max: 300 }), status: fc.integer({ min: 0, max: 15 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1023 }),
        fc.integer({ min: 1, max: 2048 }),
        fc.integer({ min: 0, max: 5 }),
        async (parts, startLba, maxBlocks, before) => {
          // Descriptors as a target may send them: the first holding the LBA asked (or starting before it).
          let lba = BigInt(Math.max(0, startLba - before));
          const descriptors = parts.map((p, i) => {
            if (i > 0) lba += BigInt(p.gap);
            const d = { lba, blocks: p.blocks, status: p.status };
            lba += BigInt(p.blocks);
            return d;
          });
          const { allocation } = peer(async () => descriptors);
          const extents = (await allocation.extents(startLba * BS, maxBlocks * BS))!;
          let at = startLba * BS;
          for (const e of extents) {
            expect(e.offset).toBe(at);
            expect(e.length).toBeGreaterThan(0);
            at += e.length;
            // Deallocated only where a descriptor says so.
            if (!e.mapped) {
              const d = descriptors.find((x) => BigInt(e.offset / BS) >= x.lba && BigInt(e.offset / BS) < x.lba + BigInt(x.blocks))!;
              expect(d.status).toBe(DEALLOCATED);
            }
          }
          expect(at).toBeLessThanOrEqual(Math.min(SIZE, (startLba + maxBlocks) * BS));
        },
      ),
    );
  });
});
