import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SenseFormatError, parseSense } from '../../src/initiator/sense-parse.js';
import { encodeDescriptorSense, encodeFixedSense, type SenseInfo } from '../../src/scsi/sense.js';

const senseInfo: fc.Arbitrary<SenseInfo> = fc.record(
  {
    key: fc.integer({ min: 0, max: 15 }),
    asc: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    field: fc.record({ inCdb: fc.boolean(), byte: fc.integer({ min: 0, max: 0xffff }), bit: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }) }),
    information: fc.bigInt({ min: 0n, max: 0xffffffffn }),
  },
  { requiredKeys: ['key', 'asc'] },
);

function expected(info: SenseInfo) {
  const field = info.field && info.key === 5 ? { inCdb: info.field.inCdb, byte: info.field.byte, ...(info.field.bit !== undefined ? { bit: info.field.bit } : {}) } : undefined;
  return {
    key: info.key,
    asc: info.asc[0],
    ascq: info.asc[1],
    deferred: false,
    ...(info.information !== undefined ? { info: info.information } : {}),
    ...(field ? { field } : {}),
  };
}

describe('sense data parsing', () => {
  it('reads back fixed-format sense', () => {
    fc.assert(
      fc.property(senseInfo, (info) => {
        expect(parseSense(encodeFixedSense(info))).toEqual({ format: 'fixed', ...expected(info) });
      }),
    );
  });

  it('reads back descriptor-format sense', () => {
    fc.assert(
      fc.property(senseInfo, (info) => {
        expect(parseSense(encodeDescriptorSense(info))).toEqual({ format: 'descriptor', ...expected(info) });
      }),
    );
  });

  it('throws only SenseFormatError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const s = parseSense(Buffer.from(bytes));
          expect(s.key).toBeLessThanOrEqual(15);
        } catch (e) {
          expect(e).toBeInstanceOf(SenseFormatError);
        }
      }),
    );
  });

  it('survives truncated sense of either format', () => {
    fc.assert(
      fc.property(senseInfo, fc.boolean(), fc.nat(40), (info, descriptor, cut) => {
        const full = descriptor ? encodeDescriptorSense(info) : encodeFixedSense(info);
        const s = parseSense(full.subarray(0, Math.max(1, Math.min(cut, full.length))));
        expect(s.format).toBe(descriptor ? 'descriptor' : 'fixed');
      }),
    );
  });
});
