/**
 * The replicator (the peer node's session, named by the replicator IQN as the LU's write
 * guard names it) is not a host: a standby backup must take its writes, and the hosts'
 * reservations, which the backup holds as the pair's shared state, do not bind it.
 */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { read10, write10 } from '../helpers.js';
import { HOST, REPLICATOR, aluaRig, outcome } from './alua-rig.js';

const PR_OUT = (action: number, type = 0) => [0x5f, action, type, 0, 0, 0, 0, 0, 24, 0];
function prParams(key: bigint, sark = 0n): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(key, 0);
  b.writeBigUInt64BE(sark, 8);
  return b;
}

describe('the replicator through a standby port', () => {
  it.each([AccessState.STANDBY, AccessState.TRANSITIONING, AccessState.UNAVAILABLE])('writes and reads (state %i), while a host is refused', async (state) => {
    const { exec, lu } = await aluaRig(state);
    expect(outcome(await exec(write10(2, 1), Buffer.alloc(512, 0x5a), REPLICATOR))).toBe('GOOD');
    expect(outcome(await exec(read10(2, 1), undefined, REPLICATOR))).toBe('GOOD');
    expect(outcome(await exec(write10(2, 1), Buffer.alloc(512, 0x11), HOST))).not.toBe('GOOD');
    const block = Buffer.alloc(512);
    await lu.device.read(block, 2 * 512);
    expect(block.every((b) => b === 0x5a)).toBe(true);
  });

  it('is not held by a host\'s Write Exclusive reservation, which still excludes another host', async () => {
    const { exec } = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    expect(outcome(await exec(PR_OUT(0), prParams(0n, 0xaan), HOST))).toBe('GOOD');
    expect(outcome(await exec(PR_OUT(1, 0x01), prParams(0xaan), HOST))).toBe('GOOD');
    expect(outcome(await exec(write10(0, 1), Buffer.alloc(512, 1), REPLICATOR))).toBe('GOOD');
    // Another host is still in conflict: the exemption is the replicator's alone.
    expect(outcome(await exec(write10(0, 1), Buffer.alloc(512, 1), { ...HOST, id: 'other', initiatorName: 'iqn.2024-01.test:init9', isid: '000000000009' }))).toBe(0x18);
  });
});
