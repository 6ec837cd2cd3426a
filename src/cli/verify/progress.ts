/**
 * Progress of a verify: on a TTY a bar redrawn in place (bytes verified, rate, ETA);
 * otherwise a plain line every few seconds, so logs stay readable.
 */
import type { ProgressSnapshot } from '../../verify/engine.js';

export interface ProgressSink {
  update(p: ProgressSnapshot): void;
  finish(p: ProgressSnapshot): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // A rate below 1 KiB/s is a fraction of bytes: whole bytes read better.
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** The text of one progress line (no newline, no control sequences). */
export function progressLine(p: ProgressSnapshot, barWidth: number): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
  const rate = p.elapsedMs > 0 ? (p.bytesDone * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? (p.bytesTotal - p.bytesDone) / rate : Infinity;
  const filled = Math.round(fraction * barWidth);
  const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` : '';
  return (
    `${bar}${(fraction * 100).toFixed(1).padStart(5)}% ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}` +
    ` ${formatBytes(rate)}/s ETA ${formatDuration(eta)} differing ${p.differing}`
  );
}

export interface StreamLike {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressSink(stream: StreamLike, options: { intervalMs?: number; now?: () => number } = {}): ProgressSink {
  const now = options.now ?? Date.now;
  if (stream.isTTY) {
    // Redraws at most ~10 times a second; \r + erase-line keeps it on one row.
    let last = -Infinity;
    const draw = (p: ProgressSnapshot): void => {
      const width = Math.max(0, Math.min(40, (stream.columns ?? 80) - 70));
      stream.write(`\r\x1b[2K${progressLine(p, width)}`);
    };
    return {
      update(p) {
        if (now() - last < 100) return;
        last = now();
        draw(p);
      },
      finish(p) {
        draw(p);
        stream.write('\n');
      },
    };
  }
  const interval = options.intervalMs ?? 5000;
  let last = now();
  return {
    update(p) {
      if (now() - last < interval) return;
      last = now();
      stream.write(`verify: ${progressLine(p, 0)}\n`);
    },
    finish(p) {
      stream.write(`verify: ${progressLine(p, 0)}\n`);
    },
  };
}

/**
 * The progress a running primary reports for `tandem verify --control`: one line at most
 * every `intervalMs` (the first after that long), so a short verify prints none and a long
 * one leaves a readable log rather than a line per message the server sends.
 */
export function throttledProgress(write: (line: string) => void, options: { intervalMs?: number; now?: () => number } = {}): (done: number, total: number) => void {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 5000;
  let last = now();
  return (done, total) => {
    if (now() - last < interval) return;
    last = now();
    write(`verify: ${formatBytes(done)} of ${formatBytes(total)}\n`);
  };
}
