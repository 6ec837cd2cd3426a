import { describe, expect, it } from 'vitest';
import { parseSense, type CommandResult } from '../../src/initiator/index.js';
import { illegalAnswer } from './legal-answer.js';

function checkCondition(sense: Buffer): CommandResult {
  return { status: 0x02, senseData: sense, sense: parseSense(sense), residual: 0, residualOverflow: false };
}

function fixedSense(key: number, asc: number): Buffer {
  const s = Buffer.alloc(18);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 10;
  s[12] = asc;
  return s;
}

describe('legal answers to random CDBs', () => {
  it('accepts GOOD and well-formed fixed and descriptor sense', () => {
    expect(illegalAnswer({ status: 0, residual: 0, residualOverflow: false })).toBeUndefined();
    expect(illegalAnswer(checkCondition(fixedSense(0x5, 0x20)))).toBeUndefined();
    expect(illegalAnswer(checkCondition(Buffer.from([0x72, 0x5, 0x24, 0, 0, 0, 0, 0])))).toBeUndefined();
  });

  it('flags statuses SAM does not define, missing or malformed sense, and vague ILLEGAL REQUEST', () => {
    expect(illegalAnswer({ status: 0x01, residual: 0, residualOverflow: false })).toMatch(/not a SAM status/);
    expect(illegalAnswer({ status: 0x02, residual: 0, residualOverflow: false })).toMatch(/without sense/);
    expect(illegalAnswer({ status: 0x02, senseData: Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 0]), residual: 0, residualOverflow: false })).toMatch(/response code/);
    expect(illegalAnswer(checkCondition(fixedSense(0x5, 0x20).subarray(0, 12)))).toMatch(/no ASC/);
    expect(illegalAnswer(checkCondition(Buffer.from([0x72, 0x5, 0x24, 0, 0, 0, 0, 4])))).toMatch(/claims 12 bytes/);
    expect(illegalAnswer(checkCondition(fixedSense(0x5, 0)))).toMatch(/ASC 00h/);
  });
});
