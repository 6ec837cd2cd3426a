/**
 * Persistent reservations under any sequence of PR OUT service actions from two initiator
 * ports through two target ports, per I_T nexus or with ALL_TG_PT: a refused action changes
 * nothing; no nexus is covered by two registrations; a single-holder reservation's holder is
 * registered and an all-registrants one has registrants; and the saved state (APTPL, and what
 * a pair's peer adopts) restores to the same registrations, reservation, holders and conflicts.
 * PR_RUNS=N runs it longer (1,000 by default; 30,000 passed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PersistentReservations } from '../../../src/scsi/reservations/persistent.js';
import { isAllRegistrants } from '../../../src/scsi/reservations/pr-types.js';
import { ConflictClass, type Nexus } from '../../../src/scsi/types.js';
import { noAttentions } from './helpers.js';

function nexus(initiator: 'x' | 'y', port: 1 | 2): Nexus {
  const initiatorName = `iqn.2026-12.test:${initiator}`;
  const targetName = `iqn.2026-12.test:node-${port}`;
  return { id: `${initiatorName},i,0x000000000001|${targetName},t,0x0001`, initiatorName, isid: '000000000001', targetName, tpgt: 1, relativePortId: port };
}

const NEXUSES = [nexus('x', 1), nexus('x', 2), nexus('y', 1), nexus('y', 2)];
const key = fc.constantFrom(0n, 1n, 2n);
const type = fc.constantFrom(1, 3, 5, 6, 7, 8);
const who = fc.nat({ max: NEXUSES.length - 1 });

type Op =
  | { op: 'register'; who: number; key: bigint; sark: bigint; ignore: boolean; all: boolean; aptpl: boolean }
  | { op: 'reserve' | 'release'; who: number; key: bigint; type: number }
  | { op: 'preempt'; who: number; key: bigint; sark: bigint; type: number }
  | { op: 'clear'; who: number; key: bigint }
  | { op: 'move'; who: number; key: bigint; sark: bigint; to: number; unregister: boolean };

const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('register' as const), who, key, sark: key, ignore: fc.boolean(), all: fc.boolean(), aptpl: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('reserve' as const, 'release' as const), who, key, type }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('preempt' as const), who, key, sark: key, type }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), who, key }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), who, key, sark: key, to: who, unregister: fc.boolean() }) },
  ),
  { maxLength: 40, size: 'max' },
);

function apply(pr: PersistentReservations, o: Op): void {
  const n = NEXUSES[o.who]!;
  switch (o.op) {
    case 'register':
      return pr.register(n, { key: o.key, sark: o.sark, aptpl: o.aptpl, allTargetPorts: o.all }, o.ignore);
    case 'reserve':
      return pr.reserve(n, o.key, o.type);
    case 'release':
      return pr.release(n, o.key, o.type);
    case 'preempt':
      pr.preempt(n, o.key, o.sark, o.type);
      return;
    case 'clear':
      return pr.clear(n, o.key);
    case 'move': {
      const to = NEXUSES[o.to]!;
      return pr.registerAndMove(n, { key: o.key, sark: o.sark, aptpl: false, unregister: o.unregister, relativePortId: n.relativePortId, destination: { initiatorName: to.initiatorName, isid: to.isid } });
    }
  }
}

/** What hosts can observe: registrations (key, all ports), the reservation, and per nexus its key, holding and conflicts. */
function observed(pr: PersistentReservations) {
  return {
    registrations: pr.list().map(([k, r]) => [k, r.key, r.allTargetPorts] as const),
    reservation: pr.reservation ? { ...pr.reservation } : undefined,
    generation: pr.generation,
    nexuses: NEXUSES.map((n) => ({ key: pr.registrationOf(n)?.key, holder: pr.isHolder(n), write: pr.conflicts(n, ConflictClass.Write), read: pr.conflicts(n, ConflictClass.Read) })),
  };
}

describe('persistent reservations, any sequence of PR OUT actions', () => {
  it('keep their invariants, change nothing when refused, and restore from their saved state', () => {
    fc.assert(
      fc.property(ops, (sequence) => {
        const pr = new PersistentReservations(() => noAttentions);
        for (const o of sequence) {
          // (Which nexus an all-ports registration last saw may change: that is not its state.)
          const before = observed(pr);
          try {
            apply(pr, o);
          } catch {
            expect(observed(pr), `refused ${JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`).toEqual(before);
          }
          const regs = pr.list();
          // No nexus is covered by two registrations (per port and for all ports at once).
          for (const n of NEXUSES) expect(regs.filter(([, r]) => r.nexus.initiatorName === n.initiatorName && (r.allTargetPorts || r.nexus.targetName === n.targetName)).length).toBeLessThanOrEqual(1);
          const res = pr.reservation;
          if (res && isAllRegistrants(res.type)) expect(regs.length).toBeGreaterThan(0);
          if (res && !isAllRegistrants(res.type)) expect(regs.map(([k]) => k)).toContain(res.holder);
          const restored = new PersistentReservations(() => noAttentions);
          restored.restore(pr.snapshot());
          const { generation: _g, ...expected } = observed(pr);
          const { generation: _r, ...actual } = observed(restored);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: Number(process.env.PR_RUNS ?? 1000) },
    );
  });
});
