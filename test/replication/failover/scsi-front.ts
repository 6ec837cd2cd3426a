/**
 * A node's real LogicalUnit and SCSI target in front of its replicated device, as `tandem
 * serve` builds them, for tests of what hosts and the replicator see through each node's port.
 * The node's REPLICATION CONTROL (PR STATE) to its peer goes through the peer's front, as the
 * replicator's session would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeReplicationControlCdb, type ReplicationActionCode } from '../../../src/replica-protocol/index.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import type { Nexus, ScsiResult } from '../../../src/scsi/types.js';
import type { Node } from '../paired-nodes.js';

export const REPLICATOR_IQN = 'iqn.2026-11.io.tandem:replicator';

export function nexusTo(target: string, initiatorName: string, isid = '000000000001'): Nexus {
  return { id: `${initiatorName},i,0x${isid}|${target},t,0x0001`, initiatorName, isid, targetName: target, tpgt: 1, relativePortId: 1 };
}

export interface Front {
  target: ScsiTarget;
  lu: LogicalUnit;
  iqn: string;
  exec(who: Nexus, cdb: number[] | Buffer, dataOut?: Buffer): Promise<ScsiResult>;
}

const dirs: string[] = [];

/** Removes the fronts' metadata directories (call after each test). */
export function removeFronts(): void {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
}

export async function front(node: Node, iqn: string): Promise<Front> {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-pr-pair-'));
  dirs.push(metaDir);
  const fromReplicator = (n: Nexus) => n.initiatorName === REPLICATOR_IQN;
  const lu = await LogicalUnit.create({
    lun: 0,
    targetName: iqn,
    device: node.device,
    blockSize: 512,
    metaDir,
    writeAllowed: (n) => node.device.acceptsWrites(fromReplicator(n)),
    replicator: fromReplicator,
    replication: node.device.endpoint,
  });
  const target = new ScsiTarget(iqn, [lu]);
  const exec: Front['exec'] = (who, cdb, dataOut) => {
    if (!lu.knowsNexus(who)) target.nexusSeen(who);
    const b = Buffer.alloc(16);
    Buffer.from(cdb).copy(b);
    const plan = target.prepare({ nexus: who, lun: 0, cdb: b, expectedLength: 1 << 16, read: dataOut === undefined, write: dataOut !== undefined, taskAttribute: 0 });
    return plan.run(plan.dataOutLength > 0 ? dataOut : undefined);
  };
  node.replicationControl = async (action: ReplicationActionCode, parameters: Buffer) => {
    const r = await exec(nexusTo(iqn, REPLICATOR_IQN, '00000000ffff'), encodeReplicationControlCdb(action, parameters.length), parameters);
    if (r.status !== 0) throw Object.assign(new Error(`REPLICATION CONTROL: status ${r.status}`), { name: 'ScsiCheckConditionError' });
    return true;
  };
  return { target, lu, iqn, exec };
}

/** PERSISTENT RESERVE OUT with the basic 24-byte parameter list. */
export const prOut = (action: number, type = 0) => [0x5f, action, type, 0, 0, 0, 0, 0, 24, 0];

export function prOutParameters(key: bigint, sark = 0n, aptpl = false): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(key, 0);
  b.writeBigUInt64BE(sark, 8);
  if (aptpl) b[20] = 1;
  return b;
}

export const READ_KEYS = [0x5e, 0x00, 0, 0, 0, 0, 0, 0x01, 0x00, 0];

export async function keys(f: Front, who: Nexus): Promise<bigint[]> {
  const d = (await f.exec(who, READ_KEYS)).dataIn!;
  return Array.from({ length: d.readUInt32BE(4) / 8 }, (_, i) => d.readBigUInt64BE(8 + 8 * i));
}
