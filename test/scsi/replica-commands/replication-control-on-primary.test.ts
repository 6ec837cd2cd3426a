/**
 * REPLICATION CONTROL's resync, switchover and point actions on a primary: refused to every
 * initiator (DATA PROTECT / WRITE PROTECTED, docs/vendor-commands.md), before the endpoint is
 * asked. The LU's write guard lets every host write to a primary, and so let a host's BEGIN
 * RESYNC or ADOPT through to it.
 */
import { describe, expect, it } from 'vitest';
import {
  AccessState,
  ReplicationAction,
  encodeGenerationParameter,
  encodePointParameters,
  encodeReplicationControlCdb,
  type AccessStateCode,
  type AdoptParameters,
  type PointMarker,
  type PortGroupsReport,
  type ReplicationEndpoint,
  type ReplicationStateReport,
} from '../../../src/replica-protocol/index.js';
import { nexus, senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

class RecordingEndpoint implements ReplicationEndpoint {
  calls: string[] = [];
  state(): ReplicationStateReport {
    throw new Error('unused');
  }
  changeMap() {
    return { base: 0n, chunkSize: 65536, chunkCount: 0, totalBytes: 0, bits: Buffer.alloc(0) };
  }
  async beginResync(source: bigint): Promise<void> {
    this.calls.push(`begin ${source}`);
  }
  async adopt(_p: AdoptParameters): Promise<{ identityChanged: boolean }> {
    this.calls.push('adopt');
    return { identityChanged: false };
  }
  async promoteBySwitchover(source: bigint): Promise<void> {
    this.calls.push(`promote ${source}`);
  }
  portGroups(): PortGroupsReport {
    return {
      local: { id: 1, state: AccessState.ACTIVE_OPTIMIZED, relativePorts: [1], changedImplicitly: false },
      peer: { id: 2, state: AccessState.STANDBY, relativePorts: [2], changedImplicitly: false },
    };
  }
  localAccessState(): AccessStateCode {
    return AccessState.ACTIVE_OPTIMIZED;
  }
  async publishPrState(): Promise<void> {}
  offerPrState(): boolean {
    return false;
  }
  async takePoint(_p: PointMarker): Promise<void> {
    this.calls.push('point');
  }
}

describe('REPLICATION CONTROL on a primary', () => {
  it('gets DATA PROTECT for BEGIN RESYNC, ADOPT, PROMOTE and POINT from a host or the replicator; the endpoint is not asked', async () => {
    const endpoint = new RecordingEndpoint();
    // A primary: every host may write, the replicator may not (RoleManager.acceptsWrites).
    const replicator = (n: { initiatorName: string }) => n.initiatorName === nexus(1).initiatorName;
    const { exec } = await vendorRig(undefined, 512, { replication: endpoint, writeAllowed: (n) => !replicator(n), replicator });
    const generation = encodeGenerationParameter(5n);
    const point = encodePointParameters({ id: 9, at: 1234, origin: 'scheduled', label: 'x' });
    const adopt = Buffer.alloc(64);
    const requests: Array<[number, Buffer]> = [
      [ReplicationAction.BEGIN_RESYNC, generation],
      [ReplicationAction.ADOPT, adopt],
      [ReplicationAction.PROMOTE, generation],
      [ReplicationAction.POINT, point],
    ];
    for (const who of [nexus(2), nexus(1)]) {
      for (const [action, parameters] of requests) {
        const r = await exec(encodeReplicationControlCdb(action as never, parameters.length), parameters, who);
        expect(senseOf(r), `action ${action} from ${who.initiatorName}`).toMatchObject({ key: 0x07, asc: 0x27, ascq: 0x00 });
      }
    }
    expect(endpoint.calls).toEqual([]);
  });
});
