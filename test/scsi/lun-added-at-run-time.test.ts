/**
 * A LUN added or removed while the target serves (a recovery point exposed on a backup):
 * REPORT LUNS lists it at once, and every nexus of the other LUNs learns the inventory
 * changed by a unit attention (3Fh/0Eh REPORTED LUNS DATA HAS CHANGED), once.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { TARGET, freshMetaDir, rig, senseOf } from './helpers.js';

const reportLuns = [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
const lunsIn = (data: Buffer): number[] => Array.from({ length: data.readUInt32BE(0) / 8 }, (_, i) => data.readUInt16BE(8 + 8 * i) & 0x3fff);

describe('LUNs added and removed at run time', () => {
  it('are listed at once and announced to the other LUNs\' nexuses by one unit attention', async () => {
    const { target, exec } = await rig();
    const added = await LogicalUnit.create({ lun: 3, targetName: TARGET, device: new MemoryBlockStore({ size: 512 * 64, readOnly: true }), blockSize: 512, metaDir: freshMetaDir() });
    target.addUnit(added);
    const ua = await exec([0x00]);
    expect(ua.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(ua)).toMatchObject({ key: 0x06, asc: 0x3f, ascq: 0x0e });
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
    expect(lunsIn((await exec(reportLuns)).dataIn!)).toEqual([0, 3]);
    expect(target.freeLun(1)).toBe(1);
    expect(() => target.addUnit(added)).toThrow(/LUN 3 is in use/);

    expect(target.removeUnit(3)).toBe(added);
    expect(senseOf(await exec([0x00]))).toMatchObject({ key: 0x06, asc: 0x3f, ascq: 0x0e });
    expect(lunsIn((await exec(reportLuns)).dataIn!)).toEqual([0]);
    expect(target.removeUnit(3)).toBeUndefined();
  });
});
