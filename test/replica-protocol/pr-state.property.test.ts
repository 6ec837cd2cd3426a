/**
 * REPLICATION CONTROL / PR STATE parameters (the persistent reservations one node hands the
 * other): what one side encodes the other decodes to the same state, and the decoder refuses
 * what is not a state with PrStateFormatError naming the byte, never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChallengeFormatError,
  DEFAULT_MODE_PARAMETERS,
  MAX_SHARED_REGISTRATIONS,
  PrStateFormatError,
  decodeSharedPrState,
  encodeSharedPrState,
  type SharedPrState,
} from '../../src/replica-protocol/index.js';

const name = fc.stringMatching(/^iqn\.[0-9]{4}-[0-9]{2}\.[a-z.]{1,40}(:[a-z0-9.-]{1,60})?$/);
const registration = fc.record({
  key: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  initiatorName: name,
  isid: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((a) => Buffer.from(a).toString('hex')),
  targetName: name,
  tpgt: fc.integer({ min: 0, max: 0xffff }),
  relativePortId: fc.integer({ min: 0, max: 0xffff }),
});

const state: fc.Arbitrary<SharedPrState> = fc.array(registration, { maxLength: 12 }).chain((registrations) =>
  fc.record({
    sequence: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    generation: fc.integer({ min: 0, max: 0xffffffff }),
    aptpl: fc.boolean(),
    reservation: fc.option(
      fc.record({
        type: fc.constantFrom(1, 3, 5, 6, 7, 8),
        holder: registrations.length > 0 ? fc.option(fc.integer({ min: 0, max: registrations.length - 1 }), { nil: null }) : fc.constant(null),
      }),
      { nil: null },
    ),
    registrations: fc.constant(registrations),
    mode: fc.record({ writeCache: fc.boolean(), descriptorSense: fc.boolean(), softwareWriteProtect: fc.boolean(), taskAbortedStatus: fc.boolean() }),
  }),
);

describe('PR STATE parameters', () => {
  it('round-trip every state', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(decodeSharedPrState(encodeSharedPrState(s))).toEqual(s);
      }),
    );
  });

  it('refuse anything that is not a state with PrStateFormatError, never crashing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          decodeSharedPrState(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(PrStateFormatError);
          expect(e).toBeInstanceOf(ChallengeFormatError);
        }
      }),
    );
  });

  it('refuse a list cut anywhere, or with a byte more, as a length error (byte -1)', () => {
    fc.assert(
      fc.property(state.filter((s) => s.registrations.length > 0), fc.nat(), (s, cut) => {
        const b = encodeSharedPrState(s);
        const at = 20 + (cut % (b.length - 20));
        expect(() => decodeSharedPrState(b.subarray(0, at))).toThrow(expect.objectContaining({ byte: -1 }));
        expect(() => decodeSharedPrState(Buffer.concat([b, Buffer.alloc(1)]))).toThrow(expect.objectContaining({ byte: -1 }));
      }),
    );
  });

  it('name the field at fault: reserved bits, a holder that is no registration, too many registrations', () => {
    const one: SharedPrState = {
      sequence: 1n,
      generation: 1,
      aptpl: false,
      reservation: { type: 5, holder: 0 },
      registrations: [{ key: 1n, initiatorName: 'iqn.2026-11.a:h', isid: '000000000001', targetName: 'iqn.2026-11.a:t', tpgt: 1, relativePortId: 1 }],
      mode: DEFAULT_MODE_PARAMETERS,
    };
    const b = encodeSharedPrState(one);
    const flags = Buffer.from(b);
    flags[12] |= 0x80;
    expect(() => decodeSharedPrState(flags)).toThrow(expect.objectContaining({ byte: 12 }));
    const holder = Buffer.from(b);
    holder.writeUInt16BE(1, 14);
    expect(() => decodeSharedPrState(holder)).toThrow(expect.objectContaining({ byte: 14 }));
    const count = Buffer.from(b);
    count.writeUInt16BE(MAX_SHARED_REGISTRATIONS + 1, 16);
    expect(() => decodeSharedPrState(count)).toThrow(expect.objectContaining({ byte: 16 }));
    const noName = Buffer.from(b);
    noName[20 + 18] = 0;
    expect(() => decodeSharedPrState(noName)).toThrow(expect.objectContaining({ byte: 38 }));

    const withMode = encodeSharedPrState({ ...one, mode: { ...DEFAULT_MODE_PARAMETERS, writeCache: false } });
    const modeAt = withMode.length - 4;
    const modeFlag = Buffer.from(withMode);
    modeFlag[12] |= 0x08;
    expect(() => decodeSharedPrState(modeFlag)).toThrow(expect.objectContaining({ byte: 12 }));
    const modeBits = Buffer.from(withMode);
    modeBits[modeAt] |= 0x10;
    expect(() => decodeSharedPrState(modeBits)).toThrow(expect.objectContaining({ byte: modeAt }));
    const modeReserved = Buffer.from(withMode);
    modeReserved[modeAt + 3] = 1;
    expect(() => decodeSharedPrState(modeReserved)).toThrow(expect.objectContaining({ byte: modeAt + 3 }));
  });

  it('carry the mode parameters only when a host changed them: a state with the defaults is what a peer from before reads', () => {
    fc.assert(
      fc.property(state, (s) => {
        const plain = encodeSharedPrState({ ...s, mode: DEFAULT_MODE_PARAMETERS });
        expect(plain[12]! & 0x04).toBe(0);
        const changed = { ...s, mode: { ...DEFAULT_MODE_PARAMETERS, writeCache: false } };
        const b = encodeSharedPrState(changed);
        expect(b[12]! & 0x04).toBe(4);
        expect(b.length).toBe(plain.length + 4);
        expect(decodeSharedPrState(b).mode).toEqual(changed.mode);
      }),
    );
  });
});
