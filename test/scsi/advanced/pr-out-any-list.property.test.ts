/**
 * PERSISTENT RESERVE OUT with any CDB fields and any parameter list, from registered and
 * unregistered nexuses, against a LU holding registrations and a reservation: the answer is
 * GOOD, RESERVATION CONFLICT or CHECK CONDITION with ILLEGAL REQUEST — never another error —
 * and a command that is not GOOD changes nothing READ FULL STATUS shows (not even the
 * generation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIscsiTransportId } from '../../../src/scsi/reservations/index.js';
import { SenseKey } from '../../../src/scsi/sense.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, C, SA, exec, makeLu, prInCdb, prOut, prOutCdb, prOutParams, register } from './helpers.js';

const READ_FULL_STATUS = 3;
const KEYS = [0n, 0xaan, 0xbbn, 0xccn, 0xddn];

const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) });
/** A 24-byte basic list; or with SPEC_I_PT's transport IDs after it; or REGISTER AND MOVE's form (its transport ID at byte 24). */
const shapedList = (form: fc.Arbitrary<'basic' | 'spec-i-pt' | 'move'>) => fc
  .record({
    form,
    key,
    sark: key,
    flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 0x01, 0x04, 0x05) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    movePort: fc.integer({ min: 0, max: 3 }),
    moveFlags: fc.integer({ min: 0, max: 3 }),
    tids: fc.array(fc.constantFrom(B, C).map((n) => encodeIscsiTransportId({ initiatorName: n.initiatorName, isid: n.isid })), { minLength: 1, maxLength: 2 }),
    tidLengthSkew: fc.constantFrom(0, 0, 0, -1, 1, 4),
  })
  .map((l) => {
    const head = prOutParams(l.key, l.sark, l.form === 'spec-i-pt' ? l.flags | 0x08 : l.flags);
    const tids = Buffer.concat(l.tids);
    const tidLength = Math.max(0, tids.length + l.tidLengthSkew);
    if (l.form === 'move') {
      head[17] = l.moveFlags;
      head.writeUInt16BE(l.movePort, 18);
      head.writeUInt32BE(tidLength, 20);
      return Buffer.concat([head, l.tids[0]!]);
    }
    if (l.form === 'basic') return head;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(tidLength);
    return Buffer.concat([head, length, tids]);
  });

// Mostly well-formed, in the form the service action takes, so that commands get past the
// checks and change the state about as often as they are refused.
const formFor = (action: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(action === 7 ? ('move' as const) : ('basic' as const)) },
    { weight: action === 0 ? 3 : 1, arbitrary: fc.constantFrom('basic' as const, 'spec-i-pt' as const, 'move' as const) },
  );
const command = fc
  .oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 8, max: 31 }) })
  .chain((action) =>
    fc.record({
      who: fc.constantFrom(A, B, C),
      action: fc.constant(action),
      type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 3, 5, 6, 7, 8) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
      scope: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 15 }) }),
      list: fc.oneof({ weight: 6, arbitrary: shapedList(formFor(action)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b)) }),
      lengthSkew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1, -24) }),
    }),
  );

describe('PERSISTENT RESERVE OUT, any fields and list', () => {
  it('answers GOOD, RESERVATION CONFLICT or ILLEGAL REQUEST, and changes nothing unless GOOD', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 6 }), async (commands) => {
        const lu = await makeLu();
        expect((await register(lu, A, 0xaan)).status).toBe(ScsiStatus.GOOD);
        expect((await register(lu, B, 0xbbn)).status).toBe(ScsiStatus.GOOD);
        expect((await prOut(lu, B, SA.RESERVE, 1, 0xbbn)).status).toBe(ScsiStatus.GOOD);
        for (const c of commands) {
          const before = (await exec(lu, C, prInCdb(READ_FULL_STATUS))).data!;
          const length = Math.max(0, c.list.length + c.lengthSkew);
          const r = await exec(lu, c.who, prOutCdb(c.action, c.type, length, c.scope), c.list);
          expect([ScsiStatus.GOOD, ScsiStatus.RESERVATION_CONFLICT, ScsiStatus.CHECK_CONDITION]).toContain(r.status);
          if (r.status === ScsiStatus.CHECK_CONDITION) expect(r.sense!.key).toBe(SenseKey.ILLEGAL_REQUEST);
          if (r.status !== ScsiStatus.GOOD) expect((await exec(lu, C, prInCdb(READ_FULL_STATUS))).data!).toEqual(before);
        }
      }),
      { numRuns: 200 },
    );
  });
});
