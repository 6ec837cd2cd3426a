/**
 * `replication.json`'s codec: every record a node can hold comes back as it was written,
 * and a malformed field stops the start with its name (IdentityFileError), never a guess.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityFileError, parseVolumeRecord, serializeVolumeRecord, type VolumeRecord } from '../../src/replication/volume-record.js';

const generationId = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const record: fc.Arbitrary<VolumeRecord> = fc.record({
  volumeId: fc.uuid(),
  generation: fc.nat(),
  replicaSynced: fc.boolean(),
  role: maybe(fc.constantFrom('primary' as const, 'backup' as const)),
  generations: fc.record({
    current: fc.oneof(fc.constant(0n), generationId),
    bitmap: fc.oneof(fc.constant(0n), generationId),
    history: fc.array(generationId, { maxLength: 6 }),
    since: fc.nat(),
  }),
  device: maybe(fc.record({ naa: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a)), serial: fc.stringMatching(/^[\x20-\x7e]{1,32}$/) })),
  resyncFrom: maybe(generationId),
  newestWriteAt: maybe(fc.nat()),
  portGroup: maybe(fc.integer({ min: 1, max: 0xffff })),
  lastPointId: maybe(fc.integer({ min: 1, max: 2 ** 40 })),
  handingOverTo: maybe(generationId),
});

describe('replication.json', () => {
  it('a record comes back as it was written', () => {
    fc.assert(
      fc.property(record, (r) => {
        const back = parseVolumeRecord('replication.json', Buffer.from(serializeVolumeRecord(r)));
        expect(back).toEqual(r);
      }),
    );
  });

  it('a malformed generation field is refused with its name', () => {
    fc.assert(
      fc.property(record, fc.constantFrom('resyncFrom', 'handingOverTo'), fc.string({ maxLength: 20 }).filter((t) => !/^[0-9a-f]{16}$/i.test(t)), (r, field, bad) => {
        const stored = { ...(JSON.parse(serializeVolumeRecord(r)) as Record<string, unknown>), [field]: bad };
        expect(() => parseVolumeRecord('replication.json', Buffer.from(JSON.stringify(stored)))).toThrow(new IdentityFileError('replication.json', `${field}: not a generation id: ${bad}`));
      }),
    );
  });
});
