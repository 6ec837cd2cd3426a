import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../../tools/bench/proc-usage.js';

/** A stat line as proc(5) lays it out: pid (comm) state, then numeric fields 4-52. */
function statLine(pid: number, comm: string, fields: number[]): string {
  return `${pid} (${comm}) S ${fields.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it('reads the CPU times (fields 14-17) after a command name holding spaces and parentheses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4_194_304 }),
        fc.string({ maxLength: 15 }).filter((c) => !c.includes('\n')),
        fc.array(fc.nat({ max: 2 ** 31 }), { minLength: 49, maxLength: 49 }),
        fc.constantFrom(100, 250, 1000),
        (pid, comm, fields, ticks) => {
          const s = parseProcStat(statLine(pid, comm, fields), ticks);
          // fields[] starts at field 4 (ppid).
          expect(s.userSeconds).toBeCloseTo(fields[14 - 4]! / ticks, 9);
          expect(s.systemSeconds).toBeCloseTo(fields[15 - 4]! / ticks, 9);
          expect(s.childUserSeconds).toBeCloseTo(fields[16 - 4]! / ticks, 9);
          expect(s.childSystemSeconds).toBeCloseTo(fields[17 - 4]! / ticks, 9);
        },
      ),
    );
  });

  it('reads a real line of its own process', async () => {
    const { readFileSync } = await import('node:fs');
    const s = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(s.userSeconds + s.systemSeconds).toBeGreaterThan(0);
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseProcStat('no parenthesis here')).toThrow(/no command name/);
    expect(() => parseProcStat('1 (x) S 1 2 3')).toThrow(/fields/);
    expect(() => parseProcStat(statLine(1, 'x', Array.from({ length: 49 }, (_, i) => (i === 10 ? NaN : i))))).toThrow(/field 14 is not a number/);
  });
});
