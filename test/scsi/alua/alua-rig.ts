/**
 * A replicated LU whose ALUA state a test sets: the endpoint reports this node's port group
 * (group 2, relative port 2, as a node created as backup) in `state` and the peer's
 * (group 1) as `peerState`. Nexus 1 is the replicator, nexuses 2 and 3 are hosts.
 */
import {
  AccessState,
  ReplicationSequenceError,
  type AccessStateCode,
  type PortGroupsReport,
  type ReplicationEndpoint,
  type ReplicationStateReport,
  type SharedPrState,
} from '../../../src/replica-protocol/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import type { Nexus, ScsiResult } from '../../../src/scsi/types.js';
import { TARGET, cdbOf, nexus, senseOf } from '../helpers.js';
import type { VendorRig } from '../replica-commands/vendor-rig.js';

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

export const REPLICATOR = nexus(1);
export const HOST = nexus(2);
export const OTHER_HOST = nexus(3);

export class AluaEndpoint implements ReplicationEndpoint {
  state_: AccessStateCode = AccessState.STANDBY;
  peerState: AccessStateCode | undefined = AccessState.ACTIVE_OPTIMIZED;
  changedImplicitly = false;
  published: Array<Omit<SharedPrState, 'sequence'>> = [];
  offered: SharedPrState[] = [];
  sequence = 0n;

  state(): ReplicationStateReport {
    throw new Error('not used');
  }
  changeMap(): never {
    throw new Error('not used');
  }
  async beginResync(): Promise<void> {}
  async adopt(): Promise<{ identityChanged: boolean }> {
    return { identityChanged: false };
  }
  async promoteBySwitchover(): Promise<void> {}
  portGroups(): PortGroupsReport {
    return {
      local: { id: 2, state: this.state_, relativePorts: [2], changedImplicitly: this.changedImplicitly },
      peer: this.peerState === undefined ? undefined : { id: 1, state: this.peerState, relativePorts: [1], changedImplicitly: this.changedImplicitly },
    };
  }
  localAccessState(): AccessStateCode {
    return this.state_;
  }
  async publishPrState(state: Omit<SharedPrState, 'sequence'>): Promise<void> {
    this.published.push(state);
  }
  offerPrState(state: SharedPrState): boolean {
    this.offered.push(state);
    if (state.sequence <= this.sequence) return false;
    this.sequence = state.sequence;
    return true;
  }
  /** This node keeps no recovery points, as a replicated LU without a point store. */
  async takePoint(): Promise<void> {
    throw new ReplicationSequenceError('this node keeps no recovery points');
  }
}

export interface AluaRig extends VendorRig {
  endpoint: AluaEndpoint;
}

/** A replicated LU in `state` with the full command table; every test nexus is known to it. */
export async function aluaRig(state: AccessStateCode = AccessState.STANDBY, writeAllowed?: (n: Nexus) => boolean): Promise<AluaRig> {
  const endpoint = new AluaEndpoint();
  endpoint.state_ = state;
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-alua-'));
  dirs.push(metaDir);
  const lu = await LogicalUnit.create({
    lun: 0,
    targetName: TARGET,
    device: new MemoryBlockStore({ size: 1024 * 512 }),
    blockSize: 512,
    metaDir,
    replication: endpoint,
    replicator: (n: Nexus) => n.initiatorName === REPLICATOR.initiatorName,
    ...(writeAllowed ? { writeAllowed } : {}),
  });
  const target = new ScsiTarget(TARGET, [lu]);
  const exec: VendorRig['exec'] = (cdb, dataOut, who = REPLICATOR) => {
    const plan = target.prepare({ nexus: who, lun: 0, cdb: cdbOf(cdb), expectedLength: 1 << 24, read: true, write: dataOut !== undefined, taskAttribute: 0 });
    return plan.run(plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(plan.dataOutLength)) : undefined);
  };
  for (const n of [REPLICATOR, HOST, OTHER_HOST]) target.nexusSeen(n);
  return { target, lu, exec, endpoint };
}

/** [sense key, ASC, ASCQ] of a CHECK CONDITION, or 'GOOD'. */
export function outcome(r: ScsiResult): 'GOOD' | [number, number, number] | number {
  if (r.status === 0) return 'GOOD';
  if (r.status !== 2) return r.status;
  const s = senseOf(r);
  return [s.key, s.asc, s.ascq];
}
