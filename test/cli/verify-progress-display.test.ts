import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, progressLine, progressSink, throttledProgress } from '../../src/cli/verify/progress.js';

describe('progress display', () => {
  it('formats sizes, durations, rate and ETA', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1.4670160302550481)).toBe('1 B');
    expect(formatBytes(64 * 1024)).toBe('64.0 KiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.50 GiB');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(Infinity)).toBe('--:--');
    const line = progressLine({ bytesDone: 512 * 1024 ** 2, bytesTotal: 1024 ** 3, differing: 3, elapsedMs: 2000 }, 10);
    expect(line).toContain('[#####.....]');
    expect(line).toContain('50.0%');
    expect(line).toContain('256 MiB/s'.replace('256', '256.0'));
    expect(line).toContain('ETA 00:02');
    expect(line).toContain('differing 3');
  });

  it('redraws in place on a TTY, at most every 100 ms', () => {
    let now = 0;
    const out: string[] = [];
    const sink = progressSink({ isTTY: true, columns: 120, write: (t: string) => out.push(t) }, { now: () => now });
    const p = { bytesDone: 1, bytesTotal: 2, differing: 0, elapsedMs: 1 };
    sink.update(p);
    now = 50;
    sink.update(p);
    now = 200;
    sink.update(p);
    sink.finish(p);
    expect(out.filter((t) => t.startsWith('\r\x1b[2K'))).toHaveLength(3);
    expect(out[out.length - 1]).toBe('\n');
  });

  it('prints plain lines every interval when not a TTY', () => {
    let now = 0;
    const out: string[] = [];
    const sink = progressSink({ write: (t: string) => out.push(t) }, { now: () => now, intervalMs: 5000 });
    const p = { bytesDone: 1, bytesTotal: 2, differing: 0, elapsedMs: 1 };
    sink.update(p);
    now = 6000;
    sink.update(p);
    sink.finish(p);
    expect(out).toHaveLength(2);
    for (const line of out) {
      expect(line.startsWith('verify: ')).toBe(true);
      expect(line.endsWith('\n')).toBe(true);
      expect(line).not.toContain('\x1b');
    }
  });
});

describe('progress of a verify run by the primary (--control)', () => {
  it('prints at most a line per interval, none for a verify shorter than one', () => {
    const clock = { now: 0 };
    const lines: string[] = [];
    const report = throttledProgress((l) => lines.push(l), { intervalMs: 5000, now: () => clock.now });
    // The server's messages, several a second for 12 s.
    for (let t = 0; t <= 12_000; t += 250) {
      clock.now = t;
      report(t * 1024, 12_000 * 1024);
    }
    expect(lines).toEqual(['verify: 4.88 MiB of 11.7 MiB\n', 'verify: 9.77 MiB of 11.7 MiB\n']);
    const short: string[] = [];
    const quick = throttledProgress((l) => short.push(l), { intervalMs: 5000, now: () => clock.now });
    for (let i = 0; i < 20; i++) quick(i, 20);
    expect(short).toEqual([]);
  });
});
