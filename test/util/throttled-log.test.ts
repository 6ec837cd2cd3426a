/** ThrottledLog: a repeating line is logged once per interval and key, with the count it stood for. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ThrottledLog } from '../../src/util/throttled-log.js';

function capture() {
  const out: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('ThrottledLog', () => {
  it('logs the first of a key, then one line per interval saying how many went unlogged', () => {
    const { logger, lines } = capture();
    const clock = { now: 0 };
    const t = new ThrottledLog(logger, 10_000, () => clock.now);
    for (let i = 0; i < 1000; i++) {
      t.warn('0:EIO', { lun: 0, i }, 'block I/O error');
      clock.now += 5;
    }
    // 5 s of failures: one line.
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 40, lun: 0, i: 0, msg: 'block I/O error' });
    expect(lines()[0]).not.toHaveProperty('repeated');
    clock.now = 10_000;
    t.warn('0:EIO', { lun: 0, i: 1000 }, 'block I/O error');
    expect(lines()).toHaveLength(2);
    expect(lines()[1]).toMatchObject({ i: 1000, repeated: 999 });
    // After a quiet interval: a line again, nothing unlogged to report.
    clock.now = 30_000;
    t.warn('0:EIO', { lun: 0, i: 1001 }, 'block I/O error');
    expect(lines()[2]).not.toHaveProperty('repeated');
  });

  it('keeps keys apart, and logs errors at error level', () => {
    const { logger, lines } = capture();
    const t = new ThrottledLog(logger, 10_000, () => 0);
    t.warn('0:EIO', {}, 'a');
    t.warn('1:EIO', {}, 'b');
    t.warn('0:ENOSPC', {}, 'c');
    t.error('0:internal:42', {}, 'd');
    t.error('0:internal:42', {}, 'd');
    expect(lines().map((l) => [l.msg, l.level])).toEqual([['a', 40], ['b', 40], ['c', 40], ['d', 50]]);
  });
});
