/** A pino logger whose lines a test can read back as objects (the engine's events). */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface CapturedLog {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** The lines of one event. */
  events(name: string): Array<Record<string, unknown>>;
}

export function capturedLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  // Synchronous writes into the sink, so a line is there as soon as the call returns.
  const logger = pino({ level: 'debug' }, sink);
  return { logger, lines, events: (name) => lines.filter((l) => l.event === name) };
}
