/** The sg_raw lines of docs/vendor-commands.md §10, replayed against a replicated LU. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AccessState, decodeChangeMapData, decodeReplicationStateVpd, type PointMarker, type ReplicationEndpoint, type ReplicationStateReport } from '../../../src/replica-protocol/index.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { vendorRig } from './vendor-rig.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const state: ReplicationStateReport = {
  role: 'primary',
  stale: false,
  splitBrain: false,
  resyncing: false,
  volumeId: '5f0c3a2e-7a51-4b1e-9d44-3c0f6a1b2c3d',
  startOver: 1,
  chunkSize: 65536,
  current: 0x0123456789abcdefn,
  bitmap: 0x0123456789abcdefn,
  since: 1_796_000_000_000,
  history: [0x1111n, 0x2222n],
  changedBytes: 65536,
  resyncBytesLeft: 0,
  newestWriteAt: 0,
  device: { naa: Buffer.from('6a12345678901234567890abcdef0123', 'hex'), serial: '0123456789abcdef' },
  alua: { portGroup: 1, relativePort: 1, state: AccessState.ACTIVE_OPTIMIZED },
  prSequence: 0n,
};
const bits = Buffer.alloc(2048);
bits[0] = 0b10;
bits[1500] = 0xff;
const endpoint: ReplicationEndpoint = {
  state: () => state,
  changeMap: (start, max) => ({ base: state.bitmap, chunkSize: 65536, chunkCount: bits.length * 8, totalBytes: bits.length, bits: bits.subarray(start, start + max) }),
  beginResync: async () => undefined,
  adopt: async () => ({ identityChanged: false }),
  promoteBySwitchover: async () => undefined,
  portGroups: () => ({ local: { id: 1, state: AccessState.ACTIVE_OPTIMIZED, relativePorts: [1], changedImplicitly: false }, peer: undefined }),
  localAccessState: () => AccessState.ACTIVE_OPTIMIZED,
  publishPrState: async () => undefined,
  offerPrState: () => false,
  takePoint: async (point) => {
    taken.push(point);
  },
};
const taken: PointMarker[] = [];

describe('docs/vendor-commands.md §10 by hand', () => {
  it('sg_raw -r 1024 ... 12 01 c1 04 00 00 reads the replication state page (version 2: 152 bytes plus the history)', async () => {
    const { exec } = await vendorRig(undefined, 512, { replication: endpoint });
    const r = await exec(hex('12 01 c1 04 00 00'));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.length).toBe(152 + 8 * 2);
    expect(decodeReplicationStateVpd(r.dataIn!)).toEqual(state);
  });

  it('sg_raw -r 1056 ... c6 ... 04 20 00 00 reads the header and the first 1024 bytes of the map', async () => {
    const { exec } = await vendorRig(undefined, 512, { replication: endpoint });
    const r = await exec(hex('c6 00 00 00 00 00 00 00 00 00 00 00 04 20 00 00'));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.length).toBe(1056);
    const map = decodeChangeMapData(r.dataIn!);
    expect(map).toMatchObject({ base: state.bitmap, chunkSize: 65536, chunkCount: 16384, totalBytes: 2048 });
    expect(map.bits.equals(bits.subarray(0, 1024))).toBe(true);
  });

  it("printf '...pre-deploy' > point.bin; sg_raw -s 34 -i point.bin ... c7 05 ... 00 22 00 00 takes point 7 on a backup", async () => {
    // Logged in as the replicator, as the doc's example is.
    const { exec } = await vendorRig(undefined, 512, { replication: endpoint, replicator: () => true });
    const doc = readFileSync(new URL('../../../docs/vendor-commands.md', import.meta.url), 'utf8');
    const printf = /printf '((?:\\x[0-9a-f]{2})+)([^']*)' > point\.bin/.exec(doc)!;
    const parameters = Buffer.concat([Buffer.from(printf[1]!.replace(/\\x/g, ''), 'hex'), Buffer.from(printf[2]!, 'utf8')]);
    expect(parameters.length).toBe(34);
    const r = await exec(hex('c7 05 00 00 00 00 00 00 00 00 00 00 00 22 00 00'), parameters);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(taken).toEqual([{ id: 7, at: 1_796_000_000_000, origin: 'manual', label: 'pre-deploy' }]);
  });
});
