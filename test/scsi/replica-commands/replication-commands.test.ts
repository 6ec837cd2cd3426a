/**
 * The target side of what two nodes of a pair ask each other: VPD C1h (replication state),
 * C6h READ CHANGE MAP and C7h REPLICATION CONTROL, answered by the LU's replication
 * endpoint; each refusal with its sense key, ASC/ASCQ and field pointer.
 */
import { describe, expect, it } from 'vitest';
import {
  AccessState,
  ReplicationAction,
  ReplicationSequenceError,
  decodeChangeMapData,
  decodeReplicationStateVpd,
  encodeAdoptParameters,
  encodeGenerationParameter,
  encodePointParameters,
  type PointMarker,
  encodeReadChangeMapCdb,
  encodeReplicationControlCdb,
  type AdoptParameters,
  type AccessStateCode,
  type PortGroupsReport,
  type ReplicationEndpoint,
  type ReplicationStateReport,
} from '../../../src/replica-protocol/index.js';
import { ScsiStatus, type ScsiResult } from '../../../src/scsi/types.js';
import { fieldPointerOf, nexus, senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

const STATE: ReplicationStateReport = {
  role: 'backup',
  stale: false,
  splitBrain: false,
  resyncing: true,
  volumeId: '0123abcd-0000-4000-8000-00000000cafe',
  startOver: 2,
  chunkSize: 65536,
  current: 0x1111n,
  bitmap: 0x1111n,
  since: 1_000,
  history: [0x2222n],
  changedBytes: 131072,
  resyncBytesLeft: 0,
  newestWriteAt: 5_000,
  device: { naa: Buffer.from('6a0000000000000000000000000000ff', 'hex'), serial: 'SERIAL1' },
  alua: { portGroup: 2, relativePort: 2, state: AccessState.STANDBY },
  prSequence: 0n,
};

class FakeEndpoint implements ReplicationEndpoint {
  bits = Buffer.from([0b0000_0101, 0x80]);
  calls: string[] = [];
  refuse = false;
  adopted: AdoptParameters | undefined;
  state(): ReplicationStateReport {
    return STATE;
  }
  changeMap(start: number, max: number) {
    return { base: 0x1111n, chunkSize: 65536, chunkCount: 16, totalBytes: 2, bits: this.bits.subarray(start, start + max) };
  }
  async beginResync(source: bigint): Promise<void> {
    this.calls.push(`begin ${source}`);
    if (this.refuse) throw new ReplicationSequenceError('no');
  }
  async adopt(p: AdoptParameters): Promise<{ identityChanged: boolean }> {
    this.adopted = p;
    return { identityChanged: true };
  }
  async promoteBySwitchover(source: bigint): Promise<void> {
    this.calls.push(`promote ${source}`);
    if (this.refuse) throw new ReplicationSequenceError('not in sync');
  }
  portGroups(): PortGroupsReport {
    return {
      local: { id: 2, state: AccessState.STANDBY, relativePorts: [2], changedImplicitly: false },
      peer: { id: 1, state: AccessState.ACTIVE_OPTIMIZED, relativePorts: [1], changedImplicitly: false },
    };
  }
  localAccessState(): AccessStateCode {
    return AccessState.STANDBY;
  }
  async publishPrState(): Promise<void> {}
  offerPrState(): boolean {
    return false;
  }
  readonly points: PointMarker[] = [];
  async takePoint(point: PointMarker): Promise<void> {
    if (this.refuse) throw new ReplicationSequenceError('keeps no points');
    this.points.push(point);
  }
}

function expectSense(r: ScsiResult, key: number, asc: number, ascq: number, field?: { cd: boolean; byte: number; bit?: number }) {
  expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
  expect(senseOf(r)).toMatchObject({ key, asc, ascq });
  if (field) expect(fieldPointerOf(r)).toEqual(field);
}

const inquiryVpd = (page: number) => [0x12, 0x01, page, 0x04, 0x00, 0x00];
const adoptParams: AdoptParameters = { volumeId: STATE.volumeId, startOver: 2, current: 0x3333n, since: 9, history: [0x1111n], device: STATE.device! };

/** A replicated backup LU (or, with 'plain', an LU that is not replicated). */
async function rig(endpoint: ReplicationEndpoint | 'plain' = new FakeEndpoint()) {
  // Nexus 1 is the replicator: the only one a backup lets change its medium.
  return vendorRig(undefined, 512, { ...(endpoint !== 'plain' ? { replication: endpoint } : {}), writeAllowed: (n) => n.initiatorName === nexus(1).initiatorName, replicator: (n) => n.initiatorName === nexus(1).initiatorName });
}

describe('VPD C1h: replication state', () => {
  it('is listed and answered on a replicated LU, with what the endpoint reports', async () => {
    const { exec } = await rig();
    expect([...(await exec(inquiryVpd(0x00))).dataIn!.subarray(4)]).toContain(0xc1);
    expect(decodeReplicationStateVpd((await exec(inquiryVpd(0xc1))).dataIn!)).toEqual(STATE);
  });

  it('is neither listed nor answered on a plain LU (INVALID FIELD IN CDB at the page code)', async () => {
    const { exec } = await rig('plain');
    expect([...(await exec(inquiryVpd(0x00))).dataIn!.subarray(4)]).not.toContain(0xc1);
    expectSense(await exec(inquiryVpd(0xc1)), 0x05, 0x24, 0x00, { cd: true, byte: 2 });
  });
});

describe('C6h READ CHANGE MAP', () => {
  it('returns the header and the bitmap from the starting byte, cut by the allocation length', async () => {
    const { exec } = await rig();
    const whole = decodeChangeMapData((await exec(encodeReadChangeMapCdb({ startByte: 0, allocationLength: 64 }))).dataIn!);
    expect(whole).toMatchObject({ base: 0x1111n, chunkSize: 65536, chunkCount: 16, totalBytes: 2 });
    expect([...whole.bits]).toEqual([0b0000_0101, 0x80]);
    const second = decodeChangeMapData((await exec(encodeReadChangeMapCdb({ startByte: 1, allocationLength: 64 }))).dataIn!);
    expect([...second.bits]).toEqual([0x80]);
    expect((await exec(encodeReadChangeMapCdb({ startByte: 0, allocationLength: 33 }))).dataIn!.length).toBe(33);
  });

  it('refuses reserved bits and a plain LU precisely', async () => {
    const { exec } = await rig();
    const cdb = encodeReadChangeMapCdb({ startByte: 0, allocationLength: 64 });
    cdb[1] = 1;
    expectSense(await exec(cdb), 0x05, 0x24, 0x00, { cd: true, byte: 1 });
    const plain = await rig('plain');
    expectSense(await plain.exec(encodeReadChangeMapCdb({ startByte: 0, allocationLength: 64 })), 0x05, 0x20, 0x00, { cd: true, byte: 0 });
  });
});

describe('C7h REPLICATION CONTROL', () => {
  it('BEGIN RESYNC, ADOPT and PROMOTE reach the endpoint with their parameters', async () => {
    const endpoint = new FakeEndpoint();
    const { exec } = await rig(endpoint);
    const gen = encodeGenerationParameter(0xabcn);
    expect((await exec(encodeReplicationControlCdb(ReplicationAction.BEGIN_RESYNC, 8), gen)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(encodeReplicationControlCdb(ReplicationAction.PROMOTE, 8), gen)).status).toBe(ScsiStatus.GOOD);
    const params = encodeAdoptParameters(adoptParams);
    expect((await exec(encodeReplicationControlCdb(ReplicationAction.ADOPT, params.length), params)).status).toBe(ScsiStatus.GOOD);
    expect(endpoint.calls).toEqual([`begin ${0xabcn}`, `promote ${0xabcn}`]);
    expect(endpoint.adopted).toEqual(adoptParams);
  });

  it('an ADOPT that changes the identity raises INQUIRY DATA HAS CHANGED for every other nexus, not the replicator', async () => {
    const { exec } = await rig();
    const params = encodeAdoptParameters(adoptParams);
    await exec(encodeReplicationControlCdb(ReplicationAction.ADOPT, params.length), params, nexus(1));
    expect((await exec([0x00], undefined, nexus(1))).status).toBe(ScsiStatus.GOOD);
    expectSense(await exec([0x00], undefined, nexus(2)), 0x06, 0x3f, 0x03);
  });

  it('refuses with the sense the primary acts on', async () => {
    const endpoint = new FakeEndpoint();
    const { exec } = await rig(endpoint);
    const gen = encodeGenerationParameter(1n);
    // Unknown action: the ACTION field, bit 4 (the field's most significant bit).
    expectSense(await exec(encodeReplicationControlCdb(7 as 1, 8), gen), 0x05, 0x24, 0x00, { cd: true, byte: 1, bit: 4 });
    const reserved = encodeReplicationControlCdb(ReplicationAction.BEGIN_RESYNC, 8);
    reserved[5] = 1;
    expectSense(await exec(reserved, gen), 0x05, 0x24, 0x00, { cd: true, byte: 5 });
    // BEGIN RESYNC and PROMOTE carry exactly one generation.
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.PROMOTE, 9), Buffer.alloc(9)), 0x05, 0x24, 0x00, { cd: true, byte: 10 });
    // A malformed ADOPT list points into the parameter list.
    const bad = encodeAdoptParameters(adoptParams);
    bad.writeBigUInt64BE(0n, 24);
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.ADOPT, bad.length), bad), 0x05, 0x26, 0x00, { cd: false, byte: 24 });
    // The endpoint says the action does not fit its state now.
    endpoint.refuse = true;
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.PROMOTE, 8), gen), 0x05, 0x2c, 0x00);
  });

  it('only the replicator may send it to a backup (DATA PROTECT, WRITE PROTECTED), and a plain LU does not know it', async () => {
    const { exec } = await rig();
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.BEGIN_RESYNC, 8), encodeGenerationParameter(1n), nexus(2)), 0x07, 0x27, 0x00);
    const plain = await rig('plain');
    expectSense(await plain.exec(encodeReplicationControlCdb(ReplicationAction.BEGIN_RESYNC, 8), encodeGenerationParameter(1n)), 0x05, 0x20, 0x00, { cd: true, byte: 0 });
  });
});

describe('C7h REPLICATION CONTROL / POINT', () => {
  const point = encodePointParameters({ id: 9, at: 1234, origin: 'scheduled', label: 'x' });

  it('reaches the endpoint with its point', async () => {
    const endpoint = new FakeEndpoint();
    const { exec } = await rig(endpoint);
    expect((await exec(encodeReplicationControlCdb(ReplicationAction.POINT, point.length), point)).status).toBe(ScsiStatus.GOOD);
    expect(endpoint.points).toEqual([{ id: 9, at: 1234, origin: 'scheduled', label: 'x' }]);
  });

  it('answers precisely: a length out of range, a bad field, the wrong initiator, a node that keeps no points', async () => {
    const endpoint = new FakeEndpoint();
    const { exec } = await rig(endpoint);
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, 23), Buffer.alloc(23)), 0x05, 0x24, 0x00, { cd: true, byte: 10 });
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, 89), Buffer.alloc(89)), 0x05, 0x24, 0x00, { cd: true, byte: 10 });
    const badOrigin = Buffer.from(point);
    badOrigin[16] = 7;
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, badOrigin.length), badOrigin), 0x05, 0x26, 0x00, { cd: false, byte: 16 });
    const shortLabel = Buffer.from(point);
    shortLabel[17] = 2;
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, shortLabel.length), shortLabel), 0x05, 0x1a, 0x00);
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, point.length), point, nexus(2)), 0x07, 0x27, 0x00);
    endpoint.refuse = true;
    expectSense(await exec(encodeReplicationControlCdb(ReplicationAction.POINT, point.length), point), 0x05, 0x2c, 0x00);
    expect(endpoint.points).toEqual([]);
  });
});
