import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/replication/metrics.js';
import { parseExposition, sampleOf } from './prometheus-text.js';

describe('metrics label values survive any target name', () => {
  it('round-trips arbitrary strings (quotes, backslashes, newlines) through the exposition', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat({ max: 1000 }), (target, sessions) => {
        const body = renderMetrics({ status: { role: undefined, replicatorIqn: '', now: 0, luns: [] }, sessions: [{ target, sessions }] });
        const e = parseExposition(body);
        expect(sampleOf(e, 'tandem_sessions', { target })).toBe(sessions);
        // One line per sample: an escaped newline never splits a line.
        expect(body.split('\n').filter((l) => l.startsWith('tandem_sessions'))).toHaveLength(1);
      }),
    );
  });
});
