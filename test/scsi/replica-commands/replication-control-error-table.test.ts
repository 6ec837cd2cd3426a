/**
 * The C7h error table of docs/vendor-commands.md §10 states the bounds the handler applies:
 * the valid ACTION codes and each action's PARAMETER LIST LENGTH.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  GENERATION_PARAMETER_BYTES,
  MAX_POINT_PARAMETER_BYTES,
  MAX_PR_STATE_BYTES,
  MAX_REPLICATION_CONTROL_PARAMETERS,
  POINT_FIXED_BYTES,
  PR_STATE_HEADER_BYTES,
  REPLICATION_ACTIONS,
} from '../../../src/replica-protocol/index.js';

const doc = readFileSync(new URL('../../../docs/vendor-commands.md', import.meta.url), 'utf8');
/** The table row that starts with `start` and mentions `mark` (other tables have like rows). */
const row = (start: string, mark: string): string => {
  const line = doc.split('\n').find((l) => l.startsWith(`| ${start}`) && l.includes(mark));
  expect(line, `a row starting "${start}" with "${mark}"`).toBeDefined();
  return line!;
};
const hexByte = (n: number) => `${n.toString(16).toUpperCase().padStart(2, '0')}h`;

describe('docs/vendor-commands.md §10, REPLICATION CONTROL errors', () => {
  it('names every valid ACTION as valid', () => {
    const [low, high] = [Math.min(...REPLICATION_ACTIONS), Math.max(...REPLICATION_ACTIONS)];
    expect(REPLICATION_ACTIONS).toHaveLength(high - low + 1);
    expect(row('ACTION not', '| CDB byte 1, bit 4 |')).toContain(`ACTION not ${hexByte(low)}–${hexByte(high)} |`);
  });

  it('gives the PARAMETER LIST LENGTH bounds the handler applies', () => {
    const lengths = row('PARAMETER LIST LENGTH not', '(BEGIN RESYNC, PROMOTE)');
    const n = (x: number) => x.toLocaleString('en-US');
    expect(lengths).toContain(`not ${GENERATION_PARAMETER_BYTES} (BEGIN RESYNC, PROMOTE)`);
    expect(lengths).toContain(`0 or above ${n(MAX_REPLICATION_CONTROL_PARAMETERS)} (ADOPT)`);
    expect(lengths).toContain(`below ${PR_STATE_HEADER_BYTES} or above ${n(MAX_PR_STATE_BYTES)} (PR STATE`);
    expect(lengths).toContain(`below ${POINT_FIXED_BYTES} or above ${n(MAX_POINT_PARAMETER_BYTES)} (POINT)`);
  });
});
