/**
 * What a host may do through a port that is not active (SPC-4 §5.15.2.4): in standby the
 * commands the descriptor table marks `allowedInStandby` are served and media access gets
 * NOT READY, LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE (04h/0Bh); while
 * transitioning (04h/0Ah) and unavailable (04h/0Ch) only the reports marked 'inactive' are.
 */
import { describe, expect, it } from 'vitest';
import { AccessState, type AccessStateCode } from '../../../src/replica-protocol/index.js';
import { createCommandTable } from '../../../src/scsi/commands.js';
import { read10, write10 } from '../helpers.js';
import { HOST, aluaRig, outcome } from './alua-rig.js';

const INQUIRY = [0x12, 0, 0, 0, 96, 0];
const REPORT_LUNS = [0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0];
const RTPG = [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0];
const REQUEST_SENSE = [0x03, 0, 0, 0, 18, 0];
const TUR = [0x00, 0, 0, 0, 0, 0];
const READ_CAPACITY10 = [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const READ_CAPACITY16 = [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0];
const MODE_SENSE6 = [0x1a, 0, 0x3f, 0, 0xff, 0];
const PR_IN_READ_KEYS = [0x5e, 0, 0, 0, 0, 0, 0, 0, 0xff, 0];
const PR_OUT_REGISTER = [0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0];
const SYNCHRONIZE_CACHE10 = [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const CHALLENGE_VPD = [0x12, 0x01, 0xc0, 0, 0xff, 0];

function registerKey(key: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(BigInt(key), 8);
  return b;
}

const STANDBY: [number, number, number] = [0x02, 0x04, 0x0b];
const TRANSITIONING: [number, number, number] = [0x02, 0x04, 0x0a];
const UNAVAILABLE: [number, number, number] = [0x02, 0x04, 0x0c];

describe('a host through a standby port', () => {
  it.each([
    ['INQUIRY', INQUIRY],
    ['VPD page C0h (a vendor page)', CHALLENGE_VPD],
    ['REPORT LUNS', REPORT_LUNS],
    ['REPORT TARGET PORT GROUPS', RTPG],
    ['TEST UNIT READY', TUR],
    ['READ CAPACITY(10)', READ_CAPACITY10],
    ['READ CAPACITY(16)', READ_CAPACITY16],
    ['MODE SENSE(6)', MODE_SENSE6],
    ['PERSISTENT RESERVE IN', PR_IN_READ_KEYS],
  ])('%s is served', async (_name, cdb) => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    expect(outcome(await exec(cdb, undefined, HOST))).toBe('GOOD');
  });

  it('PERSISTENT RESERVE OUT is served (SPC-4 allows it in standby)', async () => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    expect(outcome(await exec(PR_OUT_REGISTER, registerKey(0xabc), HOST))).toBe('GOOD');
  });

  it.each([
    ['READ(10)', read10(0, 1)],
    ['SYNCHRONIZE CACHE(10)', SYNCHRONIZE_CACHE10],
  ])('%s gets NOT READY, LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE', async (_name, cdb) => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    expect(outcome(await exec(cdb, undefined, HOST))).toEqual(STANDBY);
  });

  it('WRITE(10) gets the same, and the medium is untouched', async () => {
    const { exec, lu } = await aluaRig(AccessState.STANDBY);
    expect(outcome(await exec(write10(0, 1), Buffer.alloc(512, 0xee), HOST))).toEqual(STANDBY);
    const block = Buffer.alloc(512);
    await lu.device.read(block, 0);
    expect(block.every((b) => b === 0)).toBe(true);
  });

  it('REQUEST SENSE reports why (04h/0Bh) in the sense data, with GOOD status', async () => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    const r = await exec(REQUEST_SENSE, undefined, HOST);
    expect(r.status).toBe(0);
    expect([r.dataIn![2]! & 0x0f, r.dataIn![12], r.dataIn![13]]).toEqual(STANDBY);
  });
});

describe.each([
  ['transitioning', AccessState.TRANSITIONING, TRANSITIONING],
  ['unavailable', AccessState.UNAVAILABLE, UNAVAILABLE],
] as Array<[string, AccessStateCode, [number, number, number]]>)('a host through a %s port', (_name, state, refusal) => {
  it.each([
    ['INQUIRY', INQUIRY],
    ['REPORT LUNS', REPORT_LUNS],
    ['REPORT TARGET PORT GROUPS', RTPG],
    ['REQUEST SENSE', REQUEST_SENSE],
  ])('%s is served', async (_n, cdb) => {
    const { exec } = await aluaRig(state);
    expect(outcome(await exec(cdb, undefined, HOST))).toBe('GOOD');
  });

  it.each([
    ['TEST UNIT READY', TUR],
    ['READ CAPACITY(10)', READ_CAPACITY10],
    ['READ(10)', read10(0, 1)],
    ['PERSISTENT RESERVE IN', PR_IN_READ_KEYS],
  ])('%s gets NOT READY, LOGICAL UNIT NOT ACCESSIBLE with the port\'s state', async (_n, cdb) => {
    const { exec } = await aluaRig(state);
    expect(outcome(await exec(cdb, undefined, HOST))).toEqual(refusal);
  });
});

describe('an active/optimized port', () => {
  it('serves media access', async () => {
    const { exec } = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    expect(outcome(await exec(write10(0, 1), Buffer.alloc(512, 1), HOST))).toBe('GOOD');
    expect(outcome(await exec(read10(0, 1), undefined, HOST))).toBe('GOOD');
  });
});

describe('the command table', () => {
  it('marks exactly the reports and Tandem\'s vendor commands as served in every state, and what SPC-4 allows in standby', () => {
    const table = createCommandTable({ listLuns: () => [0] });
    const by = (mark: string | undefined) => table.all.filter((d) => d.allowedInStandby === mark).map((d) => d.name).sort();
    expect(by('inactive')).toEqual(
      [
        'INQUIRY', 'REPORT LUNS', 'REPORT SUPPORTED OPERATION CODES', 'REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS', 'REPORT TARGET PORT GROUPS', 'REQUEST SENSE',
        'TANDEM CHALLENGE', 'TANDEM PASS CONTROL', 'TANDEM READ CHANGE MAP', 'TANDEM RECEIVE CHALLENGE ANSWERS', 'TANDEM REPLICATION CONTROL', 'TANDEM SEND CHALLENGE LIST', 'TANDEM STAGED WRITE',
      ].sort(),
    );
    expect(by('standby')).toEqual(['MODE SELECT(10)', 'MODE SELECT(6)', 'MODE SENSE(10)', 'MODE SENSE(6)', 'PERSISTENT RESERVE IN', 'PERSISTENT RESERVE OUT', 'READ CAPACITY(10)', 'READ CAPACITY(16)', 'TEST UNIT READY']);
    // Everything that reads or writes blocks needs an active port.
    for (const d of table.all) if (d.writesMedium && !d.name.startsWith('TANDEM')) expect(d.allowedInStandby, d.name).toBeUndefined();
  });
});
