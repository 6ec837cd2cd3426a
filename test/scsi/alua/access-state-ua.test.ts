/**
 * ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h, SPC-4 §5.15.2.5): every host nexus of the LU
 * learns of each access state change at its next command; the replicator, whose commands
 * ALUA does not govern, is not interrupted by it.
 */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { HOST, OTHER_HOST, REPLICATOR, aluaRig, outcome } from './alua-rig.js';

const TUR = [0x00, 0, 0, 0, 0, 0];
const RTPG = [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0];

describe('an access state change', () => {
  it('raises 2Ah/06h for every host nexus, once, and then the new state applies', async () => {
    const { exec, lu, endpoint } = await aluaRig(AccessState.STANDBY);
    endpoint.state_ = AccessState.ACTIVE_OPTIMIZED;
    lu.accessStateChanged();
    for (const host of [HOST, OTHER_HOST]) {
      expect(outcome(await exec(TUR, undefined, host))).toEqual([0x06, 0x2a, 0x06]);
      expect(outcome(await exec(TUR, undefined, host))).toBe('GOOD');
    }
  });

  it('is not raised for the replicator', async () => {
    const { exec, lu } = await aluaRig(AccessState.STANDBY);
    lu.accessStateChanged();
    expect(outcome(await exec(TUR, undefined, REPLICATOR))).toBe('GOOD');
  });

  it('comes before the refusal of the new state (UA, then NOT READY), and RTPG clears it like any command', async () => {
    const { exec, lu, endpoint } = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    endpoint.state_ = AccessState.TRANSITIONING;
    lu.accessStateChanged();
    expect(outcome(await exec(TUR, undefined, HOST))).toEqual([0x06, 0x2a, 0x06]);
    expect(outcome(await exec(TUR, undefined, HOST))).toEqual([0x02, 0x04, 0x0a]);
    lu.accessStateChanged();
    expect(outcome(await exec(RTPG, undefined, OTHER_HOST))).toEqual([0x06, 0x2a, 0x06]);
    expect(outcome(await exec(RTPG, undefined, OTHER_HOST))).toBe('GOOD');
  });
});
