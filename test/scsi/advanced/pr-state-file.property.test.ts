/**
 * The APTPL state file (lun-N-persistent-reservations.json) as loadPrState reads it: a state
 * our writer could have saved loads back unchanged and restores with its reservation and
 * holder; anything damaged — torn JSON, a field missing or of the wrong kind, a holder that
 * is not a registration, a single-holder reservation without one or an all-registrants one
 * naming one — is a PrStateFileError naming the file, never a state restore would quietly
 * cut down, never another exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PrStateFileError, loadPrState, type SavedState } from '../../../src/scsi/reservations/persistence.js';
import { PersistentReservations } from '../../../src/scsi/reservations/persistent.js';
import { isAllRegistrants } from '../../../src/scsi/reservations/pr-types.js';
import { noAttentions } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-pr-file-'));
const file = join(dir, 'lun-0-persistent-reservations.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string): SavedState | undefined {
  writeFileSync(file, text);
  return loadPrState(file);
}

// Built once: fc.stringMatching compiles its pattern each time it is called (milliseconds).
const isid = fc.stringMatching(/^[0-9a-f]{12}$/);
const registrationKey = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((k) => k.toString(16).padStart(16, '0'));

/** Registrations of distinct initiator ports (so restore keeps each), and a reservation consistent with them. */
const savedState: fc.Arbitrary<SavedState> = fc
  .uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 0, maxLength: 6 })
  .chain((initiators) =>
    fc.record({
      version: fc.constant(1 as const),
      generation: fc.nat(),
      registrations: fc.tuple(
        ...initiators.map((name) =>
          fc.record({
            initiatorName: fc.constant(`iqn.2026-12.test:${name}`),
            isid,
            targetName: fc.constant('iqn.2026-12.test:target'),
            tpgt: fc.integer({ min: 0, max: 0xffff }),
            relativePortId: fc.integer({ min: 0, max: 0xffff }),
            key: registrationKey,
          }),
        ),
      ),
      reservation:
        initiators.length === 0
          ? fc.constant(null)
          : fc.option(
              fc.constantFrom(1, 3, 5, 6, 7, 8).chain((type): fc.Arbitrary<{ type: number; holder: number | null }> =>
                isAllRegistrants(type) ? fc.constant({ type, holder: null }) : fc.nat({ max: initiators.length - 1 }).map((holder) => ({ type, holder })),
              ),
              { nil: null },
            ),
    }),
  );

/** One way a hand edit or a torn write can damage a saved state's text. */
const damage: fc.Arbitrary<(s: SavedState) => string> = fc.oneof(
  fc.nat().map((at) => (s: SavedState) => {
    const text = JSON.stringify(s);
    return text.slice(0, at % text.length);
  }),
  fc.constantFrom<(s: SavedState) => string>(
    (s) => JSON.stringify({ ...s, version: 2 }),
    (s) => JSON.stringify({ ...s, generation: -1 }),
    (s) => JSON.stringify({ ...s, registrations: undefined }),
    (s) => JSON.stringify({ ...s, registrations: [...s.registrations, { key: 'zz' }] }),
    (s) => JSON.stringify({ ...s, reservation: { type: 2, holder: null } }),
    (s) => JSON.stringify({ ...s, reservation: { type: 1, holder: s.registrations.length } }),
    (s) => JSON.stringify({ ...s, reservation: { type: 1, holder: null } }),
    (s) => JSON.stringify({ ...s, reservation: { type: 7, holder: 0 } }),
    (s) => JSON.stringify([s]),
  ),
);

describe('the APTPL state file', () => {
  it('loads a saved state unchanged, and restores its registrations and reservation', () => {
    fc.assert(
      fc.property(savedState, (state) => {
        const loaded = load(JSON.stringify(state));
        expect(loaded).toEqual(state);
        const pr = new PersistentReservations(() => noAttentions);
        pr.restore(loaded!);
        expect(pr.snapshot()).toEqual(state);
      }),
    );
  });

  it('refuses every damaged state with an error that names the file', () => {
    fc.assert(
      fc.property(savedState, damage, (state, spoil) => {
        expect(() => load(spoil(state))).toThrow(PrStateFileError);
        expect(() => load(spoil(state))).toThrow(file);
      }),
    );
  });

  it('any text: a state or a PrStateFileError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 })), (text) => {
        try {
          expect(load(text)).toBeDefined();
        } catch (e) {
          expect(e).toBeInstanceOf(PrStateFileError);
        }
      }),
    );
  });
});
