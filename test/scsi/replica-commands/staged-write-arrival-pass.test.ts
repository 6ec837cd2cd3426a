/**
 * A STAGED WRITE belongs to the pass that was open when it arrived (its command was
 * received, in CmdSN order), not to whichever pass is open when its Data-Out is complete and
 * it is staged: between the two, a primary that timed it out (or lost its connection) may
 * have opened the next pass, on this session or another. Staged into that pass, its data —
 * of an older point in time — would reach the image at the new pass's COMMIT. The backup
 * refuses it instead (COMMAND SEQUENCE ERROR) and stages nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { PassStagingLog } from '../../../src/replication/pass-staging-log.js';
import { PassAction, encodePassControlCdb, encodeStagedWriteCdb } from '../../../src/replica-protocol/index.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { cdbOf, nexus, senseOf } from '../helpers.js';
import { patterned, vendorRig } from './vendor-rig.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const COMMAND_SEQUENCE_ERROR = { key: 0x5, asc: 0x2c, ascq: 0x00 };

async function rig() {
  const device = new MemoryBlockStore({ size: 1024 * 512 });
  const dir = mkdtempSync(join(tmpdir(), 'tandem-arrival-'));
  dirs.push(dir);
  const passStaging = await PassStagingLog.open({ dir, device });
  const r = await vendorRig(device, 512, { passStaging, writeAllowed: (n) => n.initiatorName === nexus(1).initiatorName || n.initiatorName === nexus(2).initiatorName });
  /** The command arrives now (prepared); `run` hands it its Data-Out later. */
  const arrive = (cdb: Buffer, who = nexus(1)) => {
    const plan = r.target.prepare({ nexus: who, lun: 0, cdb: cdbOf(cdb), expectedLength: 1 << 24, read: false, write: true, taskAttribute: 0 });
    return (dataOut?: Buffer) => plan.run(plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(plan.dataOutLength)) : undefined);
  };
  return { ...r, device, passStaging, arrive };
}

const control = (action: (typeof PassAction)[keyof typeof PassAction], passId: bigint) => encodePassControlCdb({ action, passId });

describe('a STAGED WRITE is staged only into the pass open when it arrived', () => {
  it('one that arrived in pass 1 and is staged after pass 2 began (another session) is refused, and pass 2 commits without it', async () => {
    const { exec, device, passStaging, arrive } = await rig();
    expect((await exec(control(PassAction.BEGIN, 1n))).status).toBe(ScsiStatus.GOOD);
    // The old write arrives; its Data-Out is still on the way when the primary gives it up.
    const late = arrive(encodeStagedWriteCdb({ lba: 16n, blocks: 8 }), nexus(1));
    // The primary, logged in again, opens the next pass and stages its own data.
    expect((await exec(control(PassAction.BEGIN, 2n), undefined, nexus(2))).status).toBe(ScsiStatus.GOOD);
    const fresh = patterned(4, 512, 9);
    expect((await exec(encodeStagedWriteCdb({ lba: 100n, blocks: 4 }), fresh, nexus(2))).status).toBe(ScsiStatus.GOOD);
    // The old write's data is complete now.
    const r = await late(patterned(8, 512, 1));
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(r)).toMatchObject(COMMAND_SEQUENCE_ERROR);
    expect((await exec(control(PassAction.COMMIT, 2n), undefined, nexus(2))).status).toBe(ScsiStatus.GOOD);
    const old = Buffer.alloc(8 * 512);
    await device.read(old, 16 * 512);
    expect(old.equals(Buffer.alloc(8 * 512))).toBe(true);
    const got = Buffer.alloc(4 * 512);
    await device.read(got, 100 * 512);
    expect(got.equals(fresh)).toBe(true);
    await passStaging.close();
  });

  it('the same on one session: a write that arrived before a BEGIN and runs after it is refused', async () => {
    const { exec, device, passStaging, arrive } = await rig();
    expect((await exec(control(PassAction.BEGIN, 1n))).status).toBe(ScsiStatus.GOOD);
    const late = arrive(encodeStagedWriteCdb({ lba: 16n, blocks: 8 }));
    expect((await exec(control(PassAction.BEGIN, 2n))).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await late(patterned(8, 512, 1)))).toMatchObject(COMMAND_SEQUENCE_ERROR);
    expect((await exec(control(PassAction.COMMIT, 2n))).status).toBe(ScsiStatus.GOOD);
    const old = Buffer.alloc(8 * 512);
    await device.read(old, 16 * 512);
    expect(old.equals(Buffer.alloc(8 * 512))).toBe(true);
    await passStaging.close();
  });

  it('a STAGED WRITE with UNMAP that arrived in pass 1 does not deallocate in pass 2', async () => {
    const { exec, device, passStaging, arrive } = await rig();
    await device.write(Buffer.alloc(256 * 512, 0xee), 0);
    expect((await exec(control(PassAction.BEGIN, 1n))).status).toBe(ScsiStatus.GOOD);
    const late = arrive(encodeStagedWriteCdb({ lba: 0n, blocks: 256, unmap: true }));
    expect((await exec(control(PassAction.BEGIN, 2n))).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await late())).toMatchObject(COMMAND_SEQUENCE_ERROR);
    expect((await exec(control(PassAction.COMMIT, 2n))).status).toBe(ScsiStatus.GOOD);
    const got = Buffer.alloc(256 * 512);
    await device.read(got, 0);
    expect(got.equals(Buffer.alloc(256 * 512, 0xee))).toBe(true);
    await passStaging.close();
  });

  it('writes that arrive after their BEGIN are staged as before, whatever their Data-Out waited for', async () => {
    const { exec, device, passStaging, arrive } = await rig();
    expect((await exec(control(PassAction.BEGIN, 7n))).status).toBe(ScsiStatus.GOOD);
    const a = arrive(encodeStagedWriteCdb({ lba: 0n, blocks: 2 }));
    const b = arrive(encodeStagedWriteCdb({ lba: 2n, blocks: 2 }));
    expect((await b(patterned(2, 512, 2))).status).toBe(ScsiStatus.GOOD);
    expect((await a(patterned(2, 512, 1))).status).toBe(ScsiStatus.GOOD);
    expect((await exec(control(PassAction.COMMIT, 7n))).status).toBe(ScsiStatus.GOOD);
    const got = Buffer.alloc(4 * 512);
    await device.read(got, 0);
    expect(got.equals(Buffer.concat([patterned(2, 512, 1), patterned(2, 512, 2)]))).toBe(true);
    await passStaging.close();
  });
});
