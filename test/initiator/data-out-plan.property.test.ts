import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachDataOut, planUnsolicited } from '../../src/initiator/data-out-plan.js';

describe('Data-Out planning', () => {
  it('cuts a sequence into in-order PDUs no larger than the target accepts', () => {
    fc.assert(
      fc.property(fc.nat(1 << 18), fc.nat(1 << 18), fc.integer({ min: 512, max: 1 << 16 }), (a, b, maxSegment) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const pdus: Array<{ offset: number; length: number; dataSN: number; final: boolean }> = [];
        forEachDataOut(start, end, maxSegment, (offset, length, dataSN, final) => pdus.push({ offset, length, dataSN, final }));
        let next = start;
        pdus.forEach((p, i) => {
          expect(p.offset).toBe(next);
          expect(p.length).toBeGreaterThan(0);
          expect(p.length).toBeLessThanOrEqual(maxSegment);
          expect(p.dataSN).toBe(i);
          expect(p.final).toBe(i === pdus.length - 1);
          next += p.length;
        });
        expect(next).toBe(end);
      }),
    );
  });

  it('keeps unsolicited data within FirstBurstLength and immediate data within one segment', () => {
    fc.assert(
      fc.property(
        fc.nat(1 << 22),
        fc.record({
          immediateData: fc.boolean(),
          initialR2T: fc.boolean(),
          firstBurstLength: fc.integer({ min: 512, max: 1 << 20 }),
          maxSendDataSegmentLength: fc.integer({ min: 512, max: 1 << 20 }),
        }),
        (length, p) => {
          const plan = planUnsolicited(length, p);
          expect(plan.immediateLength).toBeLessThanOrEqual(Math.min(length, p.maxSendDataSegmentLength, p.firstBurstLength));
          expect(plan.unsolicitedEnd).toBeLessThanOrEqual(Math.min(length, p.firstBurstLength));
          expect(plan.unsolicitedEnd).toBeGreaterThanOrEqual(plan.immediateLength);
          if (!p.immediateData) expect(plan.immediateLength).toBe(0);
          if (p.initialR2T) expect(plan.unsolicitedEnd).toBe(plan.immediateLength);
          else expect(plan.unsolicitedEnd).toBe(Math.min(length, p.firstBurstLength));
        },
      ),
    );
  });
});
