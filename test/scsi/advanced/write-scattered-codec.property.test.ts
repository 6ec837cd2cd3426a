/** The initiator's WRITE SCATTERED encoding and the target's parsing agree, for any set of non-overlapping writes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeScatteredCommand } from './helpers.js';
import { parseScatteredCdb, parseScatteredRanges, scatteredTransferBytes } from '../../../src/scsi/write-scattered.js';

const BLOCKS = 1 << 20;

/** Disjoint ranges in any order: sorted starts with gaps, then shuffled. */
const writes = fc
  .array(fc.record({ gap: fc.nat({ max: 1000 }), blocks: fc.integer({ min: 1, max: 8 }), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 40 })
  .chain((parts) => {
    let lba = 0;
    const ws = parts.map((p) => {
      lba += p.gap;
      const w = { lba, blocks: p.blocks, byte: p.byte };
      lba += p.blocks;
      return w;
    });
    return fc.shuffledSubarray(ws, { minLength: ws.length, maxLength: ws.length });
  });

describe('WRITE SCATTERED codec', () => {
  it.each([512, 4096])('round-trips through the target parser (%i-byte blocks)', (bs) => {
    fc.assert(
      fc.property(writes, fc.boolean(), (ws, fua) => {
        const { cdb, dataOut } = writeScatteredCommand(ws.map((w) => ({ lba: w.lba, data: Buffer.alloc(w.blocks * bs, w.byte) })), bs, fua);
        const f = parseScatteredCdb(cdb);
        expect(f.fua).toBe(fua);
        expect(f.ranges).toBe(ws.length);
        expect(scatteredTransferBytes(f, bs)).toBe(dataOut.length);
        const ranges = parseScatteredRanges(dataOut, f, bs, BLOCKS);
        expect(ranges).toEqual(ws.map((w) => ({ lba: w.lba, blocks: w.blocks })));
        let at = f.dataOffsetBlocks * bs;
        for (const w of ws) {
          expect(dataOut.subarray(at, at + w.blocks * bs).every((b) => b === w.byte)).toBe(true);
          at += w.blocks * bs;
        }
        expect(at).toBe(dataOut.length);
      }),
    );
  });
});
