/**
 * The initiator's CmdSN window (RFC 7143 §3.2.2.1) with updates a target may send in any
 * order: ExpCmdSN and MaxCmdSN never move back, and an update whose MaxCmdSN is below
 * ExpCmdSN - 1 changes nothing. Against the target's own window: an initiator that sends
 * only while its window is open never has a command dropped, every command runs in order,
 * and with nothing running its window is open again (no stall).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandWindow } from '../../src/initiator/command-window.js';
import { serialAdd, serialLt, serialLte } from '../../src/iscsi/pdu/serial.js';
import { CmdSnWindow } from '../../src/target/cmdsn-window.js';

const sn = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xfffffff0, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));

describe('the initiator CmdSN window', () => {
  it('never moves back, and ignores a MaxCmdSN below ExpCmdSN - 1', () => {
    fc.assert(
      fc.property(sn, fc.array(fc.tuple(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -40, max: 40 })), { maxLength: 30 }), (start, updates) => {
        const w = new CommandWindow(start, start, serialAdd(start, 7));
        for (const [dExp, dMax] of updates) {
          const [exp, max] = [w.expected, w.max];
          const newExp = serialAdd(exp, dExp);
          const newMax = serialAdd(newExp, dMax);
          w.update(newExp, newMax);
          expect(serialLte(exp, w.expected) && serialLte(max, w.max)).toBe(true);
          if (serialLt(newMax, serialAdd(newExp, -1))) expect([w.expected, w.max]).toEqual([exp, max]);
          expect(w.isOpen()).toBe(serialLte(w.next, w.max));
        }
      }),
    );
  });

  it('against the target window: nothing sent while open is dropped, all runs in order, no stall', () => {
    const step = fc.oneof({ weight: 3, arbitrary: fc.constant('send' as const) }, { weight: 2, arbitrary: fc.constant('finish' as const) });
    fc.assert(
      fc.property(sn, fc.integer({ min: 1, max: 16 }), fc.array(step, { maxLength: 120 }), (start, depth, steps) => {
        let running = 0;
        const target = new CmdSnWindow(start, depth, () => running);
        const initiator = new CommandWindow(start, start, target.maxCmdSN);
        const ran: number[] = [];
        for (const s of steps) {
          if (s === 'finish') {
            if (running === 0) continue;
            running--;
          } else {
            if (!initiator.isOpen()) continue;
            const cmdSN = initiator.take();
            expect(target.submit(cmdSN, false, () => {
              running++;
              ran.push(cmdSN);
            })).toBe('delivered');
          }
          // Every response carries the target's current ExpCmdSN and MaxCmdSN.
          initiator.update(target.expCmdSN, target.maxCmdSN);
          if (running === 0) expect(initiator.isOpen()).toBe(true);
        }
        expect(ran).toEqual(ran.map((_, i) => serialAdd(start, i)));
      }),
    );
  });
});
