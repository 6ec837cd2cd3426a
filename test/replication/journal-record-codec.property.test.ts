import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JournalRecordError, RECORD_HEADER_BYTES, RecordKind, decodeRecord, encodeRecordHeader } from '../../src/replication/journal-record.js';

describe('journal record codec', () => {
  it('round-trips any data record', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 2048 }),
        (epoch, seq, offset, bytes) => {
          const data = Buffer.from(bytes);
          const h = { kind: RecordKind.DATA, epoch, seq, offset, length: data.length };
          const record = Buffer.concat([encodeRecordHeader(h, data), data]);
          const decoded = decodeRecord(record, 0, 1 << 20);
          expect(decoded.header).toEqual(h);
          expect(decoded.data.equals(data)).toBe(true);
        },
      ),
    );
  });

  it('detects any single flipped bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.nat({ max: 7 }), (bytes, at, bit) => {
        const data = Buffer.from(bytes);
        const record = Buffer.concat([encodeRecordHeader({ kind: RecordKind.DATA, epoch: 1, seq: 7, offset: 4096, length: data.length }, data), data]);
        const i = at % record.length;
        record[i]! ^= 1 << bit;
        expect(() => decodeRecord(record, 0, 1 << 20)).toThrow(JournalRecordError);
      }),
    );
  });

  it('random bytes only ever raise JournalRecordError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: RECORD_HEADER_BYTES * 4 }), fc.nat({ max: 1 << 16 }), (bytes, max) => {
        try {
          decodeRecord(Buffer.from(bytes), 0, max);
        } catch (e) {
          expect(e).toBeInstanceOf(JournalRecordError);
        }
      }),
    );
  });
});
