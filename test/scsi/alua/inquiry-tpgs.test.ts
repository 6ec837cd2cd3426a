/** Standard INQUIRY TPGS (byte 5 bits 5-4): 01b, implicit ALUA, on a replicated LU; 00b on a plain one. */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { vendorRig } from '../replica-commands/vendor-rig.js';
import { HOST, aluaRig } from './alua-rig.js';

const INQUIRY = [0x12, 0, 0, 0, 96, 0];

describe('INQUIRY TPGS', () => {
  it.each([AccessState.STANDBY, AccessState.ACTIVE_OPTIMIZED, AccessState.UNAVAILABLE, AccessState.TRANSITIONING])('is 01b on a replicated LU (port state %i)', async (state) => {
    const { exec } = await aluaRig(state);
    const data = (await exec(INQUIRY, undefined, HOST)).dataIn!;
    expect((data[5]! >> 4) & 0x03).toBe(0b01);
  });

  it('is 00b on a plain LU', async () => {
    const { exec } = await vendorRig();
    const data = (await exec(INQUIRY)).dataIn!;
    expect((data[5]! >> 4) & 0x03).toBe(0);
  });
});
