import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit, type LogicalUnitInit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import type { Nexus, ScsiResult } from '../../../src/scsi/types.js';
import { vendorCommands } from '../../../src/scsi/replica-commands/index.js';
import { TARGET, cdbOf, nexus } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export interface VendorRig {
  target: ScsiTarget;
  lu: LogicalUnit;
  exec(cdb: Buffer | number[], dataOut?: Buffer, who?: Nexus): Promise<ScsiResult>;
}

/** A target whose table holds the core commands plus the vendor commands, one LU on `device`. */
export async function vendorRig(
  device: BlockDevice = new MemoryBlockStore({ size: 1024 * 512 }),
  blockSize = 512,
  extra: Pick<LogicalUnitInit, 'passStaging' | 'writeAllowed' | 'replication' | 'identity' | 'replicator'> = {},
): Promise<VendorRig> {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-vendor-'));
  dirs.push(metaDir);
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device, blockSize, metaDir, ...extra });
  const target = new ScsiTarget(TARGET, [lu], { extraCommands: vendorCommands });
  const exec: VendorRig['exec'] = (cdb, dataOut, who = nexus(1)) => {
    const plan = target.prepare({ nexus: who, lun: 0, cdb: cdbOf(cdb), expectedLength: 1 << 24, read: true, write: dataOut !== undefined, taskAttribute: 0 });
    return plan.run(plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(plan.dataOutLength)) : undefined);
  };
  // Consume each test nexus's POWER ON unit attention.
  for (const n of [1, 2, 3]) {
    target.nexusSeen(nexus(n));
    await exec([0x00], undefined, nexus(n));
  }
  return { target, lu, exec };
}

/** Deterministic block contents: byte j of block b is (b * 7 + j) & 0xff. */
export function patterned(blocks: number, blockSize = 512, seed = 0): Buffer {
  const b = Buffer.alloc(blocks * blockSize);
  for (let i = 0; i < b.length; i++) b[i] = (Math.floor(i / blockSize) * 7 + (i % blockSize) + seed) & 0xff;
  return b;
}
