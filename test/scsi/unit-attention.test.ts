import { describe, expect, it } from 'vitest';
import { rig, nexus, senseOf } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { NexusUnitAttentions } from '../../src/scsi/unit-attentions.js';

describe('unit attentions', () => {
  it('a new nexus starts without a pending condition (a login is not a reset)', async () => {
    const { exec } = await rig({ keepInitialUa: true });
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('a nexus that logs out and back in does not inherit its old conditions', async () => {
    const { exec, target } = await rig();
    target.nexusSeen(nexus(2));
    target.lunReset(0, nexus(1));
    target.nexusLost(nexus(2));
    target.nexusSeen(nexus(2));
    expect((await exec([0x00], undefined, nexus(2))).status).toBe(ScsiStatus.GOOD);
  });

  it('INQUIRY neither reports nor clears a pending UA; REQUEST SENSE reports and clears it', async () => {
    const { exec, target } = await rig();
    target.lunReset(0, nexus(2));
    expect((await exec([0x12, 0, 0, 0, 36, 0])).status).toBe(ScsiStatus.GOOD);
    const rs = await exec([0x03, 0, 0, 0, 252, 0]);
    expect(rs.status).toBe(ScsiStatus.GOOD);
    expect(rs.dataIn![2]! & 0x0f).toBe(0x06);
    expect(rs.dataIn![12]).toBe(0x29);
    const again = await exec([0x03, 0, 0, 0, 252, 0]);
    expect(again.dataIn![2]! & 0x0f).toBe(0x00);
  });

  it('LUN reset raises 29h/03h for every nexus, the one that reset included (SAM-5 6.3.3)', async () => {
    const { exec, target } = await rig();
    target.nexusSeen(nexus(2));
    await exec([0x00], undefined, nexus(2));
    target.lunReset(0, nexus(1));
    expect(senseOf(await exec([0x00]))).toMatchObject({ key: 0x06, asc: 0x29, ascq: 0x03 });
    expect(senseOf(await exec([0x00], undefined, nexus(2)))).toMatchObject({ key: 0x06, asc: 0x29, ascq: 0x03 });
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('reset conditions are reported before others, each once', () => {
    const ua = new NexusUnitAttentions();
    const n = nexus(3);
    ua.register(n);
    ua.establishFor(n, [0x2a, 0x01]);
    ua.establishFor(n, [0x29, 0x03]);
    ua.establishFor(n, [0x2a, 0x01]);
    expect(ua.take(n)).toEqual([0x29, 0x03]);
    expect(ua.take(n)).toEqual([0x2a, 0x01]);
    expect(ua.take(n)).toBeUndefined();
  });

  it('CLEAR TASK SET raises COMMANDS CLEARED BY ANOTHER INITIATOR only where it aborted commands (SAM-5 §5.6, TAS=0)', async () => {
    const { exec, target } = await rig();
    for (const n of [2, 3]) {
      target.nexusSeen(nexus(n));
      await exec([0x00], undefined, nexus(n));
    }
    target.taskSetCleared(0, nexus(1), [nexus(2)]);
    expect(senseOf(await exec([0x00], undefined, nexus(2)))).toMatchObject({ key: 0x06, asc: 0x2f, ascq: 0 });
    expect((await exec([0x00], undefined, nexus(3))).status).toBe(ScsiStatus.GOOD);
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('ABORT TASK SET tells no other nexus', async () => {
    const { exec, target } = await rig();
    target.nexusSeen(nexus(2));
    await exec([0x00], undefined, nexus(2));
    target.taskSetCleared(0, nexus(1), []);
    expect((await exec([0x00], undefined, nexus(2))).status).toBe(ScsiStatus.GOOD);
  });
});
