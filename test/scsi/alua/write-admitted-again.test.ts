/**
 * A write is admitted when its command arrives and again when it changes the medium: a
 * replicated LU can change role while the command waits for its Data-Out (or reads first,
 * or writes in chunks). Every medium-writing command prepared through an active port whose
 * state then changes gets the new state's NOT READY and changes nothing; a replicator
 * write prepared on a backup that is then promoted gets DATA PROTECT and changes nothing.
 * (A demoted node that took such a write would acknowledge it, and the new primary would
 * never have it: e2e scenario 16 read it back as zeroes after a switchover.)
 */
import { describe, expect, it } from 'vitest';
import { AccessState, type AccessStateCode } from '../../../src/replica-protocol/index.js';
import { be16, be32, cdbOf } from '../helpers.js';
import { HOST, REPLICATOR, aluaRig, outcome } from './alua-rig.js';

const BLOCK = 512;
const LBA = 8;
const OLD = 0x55;
const NEW = 0xaa;

const lba8 = (lba: number) => [0, 0, 0, 0, ...be32(lba)];
const block = (fill: number, blocks = 1) => Buffer.alloc(blocks * BLOCK, fill);

/** Each medium-writing command, writing NEW (or zeroes) over block LBA, which holds OLD. */
const commands: Array<{ name: string; cdb: number[]; data: Buffer }> = [
  { name: 'WRITE(10)', cdb: [0x2a, 0, ...be32(LBA), 0, ...be16(1), 0], data: block(NEW) },
  { name: 'WRITE(16)', cdb: [0x8a, 0, ...lba8(LBA), ...be32(1), 0, 0], data: block(NEW) },
  { name: 'WRITE AND VERIFY(10)', cdb: [0x2e, 0x02, ...be32(LBA), 0, ...be16(1), 0], data: block(NEW) },
  { name: 'WRITE SAME(16)', cdb: [0x93, 0, ...lba8(LBA), ...be32(1), 0, 0], data: block(NEW) },
  { name: 'WRITE SAME(16) UNMAP', cdb: [0x93, 0x08, ...lba8(LBA), ...be32(1), 0, 0], data: block(NEW) },
  {
    name: 'UNMAP',
    cdb: [0x42, 0, 0, 0, 0, 0, 0, ...be16(24), 0],
    data: Buffer.from([0, 22, 0, 16, 0, 0, 0, 0, ...lba8(LBA), ...be32(1), 0, 0, 0, 0]),
  },
  { name: 'COMPARE AND WRITE', cdb: [0x89, 0, ...lba8(LBA), 0, 0, 0, 1, 0, 0], data: Buffer.concat([block(OLD), block(NEW)]) },
  { name: 'ORWRITE(16)', cdb: [0x8b, 0, ...lba8(LBA), ...be32(1), 0, 0], data: block(NEW) },
  { name: 'WRITE ATOMIC(16)', cdb: [0x9c, 0, ...lba8(LBA), 0, 0, ...be16(1), 0, 0], data: block(NEW) },
];

async function blockAt(rig: Awaited<ReturnType<typeof aluaRig>>): Promise<Buffer> {
  const b = Buffer.alloc(BLOCK);
  await rig.lu.device.read(b, LBA * BLOCK);
  return b;
}

describe.each(commands)('$name', ({ cdb, data }) => {
  it('runs through an active port that stays active (the control case)', async () => {
    const rig = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    await rig.lu.device.write(block(OLD), LBA * BLOCK);
    const plan = rig.target.prepare({ nexus: HOST, lun: 0, cdb: cdbOf(cdb), expectedLength: data.length, read: false, write: true, taskAttribute: 0 });
    expect(outcome(await plan.run(data))).toBe('GOOD');
    expect((await blockAt(rig)).equals(block(OLD))).toBe(false);
  });

  it.each([
    ['transitioning', AccessState.TRANSITIONING, [0x02, 0x04, 0x0a]],
    ['standby', AccessState.STANDBY, [0x02, 0x04, 0x0b]],
  ] as Array<[string, AccessStateCode, number[]]>)('admitted through an active port that turned %s before its data came: NOT READY, medium unchanged', async (_name, state, sense) => {
    const rig = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    await rig.lu.device.write(block(OLD), LBA * BLOCK);
    const plan = rig.target.prepare({ nexus: HOST, lun: 0, cdb: cdbOf(cdb), expectedLength: data.length, read: false, write: true, taskAttribute: 0 });
    expect(plan.dataOutLength).toBe(data.length);
    rig.endpoint.state_ = state;
    expect(outcome(await plan.run(data))).toEqual(sense);
    expect((await blockAt(rig)).equals(block(OLD))).toBe(true);
  });

  it('from the replicator of a backup that was promoted before its data came: DATA PROTECT, medium unchanged', async () => {
    let backup = true;
    const rig = await aluaRig(AccessState.STANDBY, (n) => (n.initiatorName === REPLICATOR.initiatorName) === backup);
    await rig.lu.device.write(block(OLD), LBA * BLOCK);
    const plan = rig.target.prepare({ nexus: REPLICATOR, lun: 0, cdb: cdbOf(cdb), expectedLength: data.length, read: false, write: true, taskAttribute: 0 });
    backup = false;
    expect(outcome(await plan.run(data))).toEqual([0x07, 0x27, 0x00]);
    expect((await blockAt(rig)).equals(block(OLD))).toBe(true);
  });
});
