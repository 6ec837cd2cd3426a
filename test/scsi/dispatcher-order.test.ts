import { describe, expect, it } from 'vitest';
import { rig, nexus, senseOf, fieldPointerOf, write10 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

describe('dispatcher checks', () => {
  it('an unknown opcode is INVALID COMMAND OPERATION CODE', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec([0xff]))).toMatchObject({ key: 0x05, asc: 0x20, ascq: 0 });
  });

  it('an unknown service action of a known opcode is INVALID FIELD IN CDB at the service action field', async () => {
    // SPC-4 (and SBC-3 §5.30 for SANITIZE): the opcode is supported, the service action field is not.
    const { exec } = await rig();
    const r = await exec([0x9e, 0x1f]);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 1, bit: 4 });
  });

  it('NACA in the CONTROL byte is INVALID FIELD IN CDB pointing at it', async () => {
    const { exec } = await rig();
    const r = await exec([0x00, 0, 0, 0, 0, 0x04]);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x24 });
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 5, bit: 2 });
  });

  it('a write to a read-only LU is DATA PROTECT / WRITE PROTECTED', async () => {
    const { exec } = await rig({ readOnly: true });
    expect(senseOf(await exec(write10(0, 1), Buffer.alloc(512)))).toMatchObject({ key: 0x07, asc: 0x27, ascq: 0 });
  });

  it('a missing LUN answers INQUIRY with qualifier 011b / type 1Fh', async () => {
    const { exec } = await rig();
    const r = await exec([0x12, 0, 0, 0, 96, 0], undefined, nexus(1), 5);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn![0]).toBe(0x7f);
  });

  it('a missing LUN fails other commands with LOGICAL UNIT NOT SUPPORTED', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec([0x00], undefined, nexus(1), 5))).toMatchObject({ key: 0x05, asc: 0x25, ascq: 0 });
  });

  it('REPORT LUNS works through a missing LUN', async () => {
    const { exec } = await rig();
    const r = await exec([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], undefined, nexus(1), 7);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.readUInt32BE(0)).toBe(8);
  });

  it('a thrown non-SCSI error becomes HARDWARE ERROR / INTERNAL TARGET FAILURE', async () => {
    const { exec } = await rig({
      extra: [
        {
          name: 'BOOM', opcode: 0xc0, cdbLength: 6, direction: 'none', writesMedium: false, accessesMedium: false, conflict: 0, usage: [0xc0, 0, 0, 0, 0, 0],
          prepare: () => ({ dataOutLength: 0, run: () => { throw new Error('boom'); } }),
        },
      ],
    });
    expect(senseOf(await exec([0xc0]))).toMatchObject({ key: 0x04, asc: 0x44, ascq: 0 });
  });

  it('reservation conflicts come back as RESERVATION CONFLICT status', async () => {
    const { exec, lu } = await rig();
    lu.reservations.conflicts = () => true;
    expect((await exec([0x00])).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });
});
