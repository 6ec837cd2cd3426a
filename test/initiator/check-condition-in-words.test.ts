/**
 * A CHECK CONDITION the operator reads (tandem probe, verify, status, logs) names the common
 * conditions in words beside the codes: a probe of a LUN the target lacks said only
 * "sense key 0x5 asc 0x25/0x0".
 */
import { describe, expect, it } from 'vitest';
import { ScsiCheckConditionError } from '../../src/initiator/errors.js';

const sense = (key: number, asc: number, ascq: number) => ({ format: 'fixed' as const, deferred: false, key, asc, ascq });

describe('ScsiCheckConditionError', () => {
  it('keeps the codes and adds the words for a known condition', () => {
    const e = new ScsiCheckConditionError(sense(5, 0x25, 0), Buffer.from([0x12]));
    expect(e.message).toBe('CHECK CONDITION for opcode 0x12: sense key 0x5 asc 0x25/0x0 (no such LUN on this target)');
    expect(new ScsiCheckConditionError(sense(2, 0x04, 0x0b), Buffer.from([0x2a])).message).toMatch(/asc 0x4\/0xb \(the port is standby/);
  });

  it('gives only the codes for one it does not name', () => {
    expect(new ScsiCheckConditionError(sense(3, 0x11, 0), Buffer.from([0x28])).message).toBe('CHECK CONDITION for opcode 0x28: sense key 0x3 asc 0x11/0x0');
  });
});
