import { describe, expect, it } from 'vitest';
import { rig, nexus, senseOf, read10 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

const ssu = (loej: boolean, start: boolean, pc = 0) => [0x1b, 0, 0, 0, (pc << 4) | (loej ? 2 : 0) | (start ? 1 : 0), 0];
const prevent = (p: number) => [0x1e, 0, 0, 0, p, 0];

describe('START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL', () => {
  it('eject makes media commands NOT READY / MEDIUM NOT PRESENT until load', async () => {
    const { exec } = await rig({ removable: true });
    expect((await exec(ssu(true, false))).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await exec([0x00]))).toMatchObject({ key: 0x02, asc: 0x3a });
    expect(senseOf(await exec(read10(0, 1)))).toMatchObject({ key: 0x02, asc: 0x3a });
    expect((await exec([0x12, 0, 0, 0, 36, 0])).status).toBe(ScsiStatus.GOOD);
    expect((await exec(ssu(true, true))).status).toBe(ScsiStatus.GOOD);
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('STOP without LOEJ, or with a power condition, leaves the unit ready', async () => {
    const { exec } = await rig({ removable: true });
    expect((await exec(ssu(false, false))).status).toBe(ScsiStatus.GOOD);
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
    expect((await exec(ssu(true, false, 3))).status).toBe(ScsiStatus.GOOD);
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('PREVENT from any nexus blocks eject and load with MEDIUM REMOVAL PREVENTED', async () => {
    const { exec, target } = await rig({ removable: true });
    target.nexusSeen(nexus(2));
    await exec([0x00], undefined, nexus(2));
    await exec(prevent(1));
    expect(senseOf(await exec(ssu(true, false), undefined, nexus(2)))).toMatchObject({ key: 0x05, asc: 0x53, ascq: 0x02 });
    await exec(prevent(0));
    expect((await exec(ssu(true, false))).status).toBe(ScsiStatus.GOOD);
  });

  it('nexus loss and LUN reset clear PREVENT', async () => {
    const { exec, target, lu } = await rig({ removable: true });
    await exec(prevent(1));
    target.nexusLost(nexus(1));
    expect(lu.removalPrevented()).toBe(false);
    await exec(prevent(1));
    target.lunReset(0, nexus(2));
    expect(lu.removalPrevented()).toBe(false);
  });

  it('LOEJ on a non-removable LU is INVALID FIELD IN CDB', async () => {
    const { exec } = await rig({ removable: false });
    expect(senseOf(await exec(ssu(true, false)))).toMatchObject({ key: 0x05, asc: 0x24 });
  });
});
