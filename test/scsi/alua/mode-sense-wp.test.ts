/**
 * MODE SENSE WP on a replicated LU: not set for a host through a standby port. ALUA refuses
 * its writes there; a WP bit seen at login would keep the host's disk (and a multipath map
 * over it) read-only after the failover that makes the port active.
 */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { HOST, aluaRig } from './alua-rig.js';

const MODE_SENSE6 = [0x1a, 0x08, 0x3f, 0, 0xff, 0];

describe('MODE SENSE WP of a replicated LU', () => {
  it('is clear through a standby port, whose writes ALUA refuses instead', async () => {
    const { exec, lu } = await aluaRig(AccessState.STANDBY);
    expect((await exec(MODE_SENSE6, undefined, HOST)).dataIn![2]! & 0x80).toBe(0);
    expect(lu.writeProtectedFor(HOST)).toBe(false);
  });
});
