/**
 * The CmdSN window (RFC 7143 §4.2.2.1) against a model, for any sequence of commands — early,
 * late, repeated, immediate, near the 2^32 wrap — and of commands finishing: non-immediate
 * commands run exactly once each, in CmdSN order from the first ExpCmdSN without a gap; one
 * outside [ExpCmdSN, MaxCmdSN] when it arrives, or a repeat of one held, is dropped and never
 * runs; MaxCmdSN is ExpCmdSN plus the depth less the commands running, and never moves back; and the commands held waiting for a gap never exceed the
 * window's depth (memory bounded by what the target announced, not by what the peer sends).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serialAdd, serialLte, serialMax } from '../../../src/iscsi/pdu/serial.js';
import { CmdSnWindow } from '../../../src/target/cmdsn-window.js';

type Op = { kind: 'submit'; offset: number; immediate: boolean } | { kind: 'finish' };

const op = (depth: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('submit' as const), offset: fc.integer({ min: -3, max: depth + 3 }), immediate: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'finish' as const }) },
  );

describe('CmdSN window', () => {
  it('runs each command once, in CmdSN order, drops what is outside the window, and holds at most its depth', () => {
    const start = fc.oneof(fc.constantFrom(0, 0x7ffffffe, 0xfffffff0, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(
      fc.property(start, fc.integer({ min: 1, max: 16 }).chain((depth) => fc.tuple(fc.constant(depth), fc.array(op(depth), { maxLength: 60 }))), (first, [depth, ops]) => {
        let running = 0;
        const w = new CmdSnWindow(first, depth, () => running);
        const ran: number[] = [];
        const held = new Set<number>();
        let lastMax = w.maxCmdSN;
        for (const o of ops) {
          if (o.kind === 'finish') {
            if (running > 0) running--;
            continue;
          }
          const exp = w.expCmdSN;
          const max = w.maxCmdSN;
          // The room is the depth less the commands running (backpressure), and an announced MaxCmdSN is never taken back.
          expect(max).toBe(serialMax(lastMax, serialAdd(exp, Math.max(0, depth - running) - 1)));
          expect(serialLte(lastMax, max)).toBe(true);
          lastMax = max;
          const sn = serialAdd(exp, o.offset);
          let immediateRan = false;
          // An immediate command runs too: it narrows the window as the others do, without a CmdSN of its own.
          const outcome = w.submit(sn, o.immediate, () => {
            running++;
            if (o.immediate) immediateRan = true;
            else ran.push(sn);
          });
          if (o.immediate) {
            expect(outcome).toBe('delivered');
            expect(immediateRan).toBe(true);
            continue;
          }
          const inside = serialLte(exp, sn) && serialLte(sn, max);
          if (!inside || held.has(sn)) expect(outcome).toBe('dropped');
          else if (sn !== exp) {
            expect(outcome).toBe('queued');
            held.add(sn);
          } else expect(outcome).toBe('delivered');
          for (const s of ran) held.delete(s);
          expect(w.heldCount).toBe(held.size);
          expect(w.heldCount).toBeLessThanOrEqual(depth);
        }
        // Everything that ran did so in order from the first ExpCmdSN, each once.
        expect(ran).toEqual(ran.map((_, i) => serialAdd(first, i)));
        expect(w.expCmdSN).toBe(serialAdd(first, ran.length));
      }),
    );
  });
});
