import type { Logger } from '../../src/util/log.js';
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../src/scsi/scsi-target.js';
import type { CommandDescriptor } from '../../src/scsi/descriptor.js';
import type { Nexus, ScsiResult } from '../../src/scsi/types.js';

export const TARGET = 'iqn.2024-01.test:tandem';

const metaDirs: string[] = [];
// Registered on the importing test file's root suite.
afterAll(() => {
  for (const d of metaDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function freshMetaDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-scsi-'));
  metaDirs.push(d);
  return d;
}

export function nexus(n = 1): Nexus {
  const isid = n.toString(16).padStart(12, '0');
  const initiatorName = `iqn.2024-01.test:init${n}`;
  return {
    id: `${initiatorName},i,0x${isid}|${TARGET},t,0x1`,
    initiatorName,
    isid,
    targetName: TARGET,
    tpgt: 1,
    relativePortId: 1,
  };
}

export interface Rig {
  target: ScsiTarget;
  lu: LogicalUnit;
  store: MemoryBlockStore;
  /** Run one command on LUN 0 (or `lun`) from nexus `who`. */
  exec(cdb: number[] | Buffer, dataOut?: Buffer, who?: Nexus, lun?: number): Promise<ScsiResult>;
}

export interface RigOptions {
  blocks?: number;
  blockSize?: 512 | 4096;
  readOnly?: boolean;
  removable?: boolean;
  extra?: CommandDescriptor[];
  /** Include the advanced command set (default: core commands only). */
  advanced?: boolean;
  /** Leave the initial POWER ON unit attention pending. */
  keepInitialUa?: boolean;
  /** Where the target logs commands' failures. */
  logger?: Logger;
}

export function cdbOf(bytes: number[] | Buffer): Buffer {
  const b = Buffer.alloc(Math.max(16, bytes.length));
  Buffer.from(bytes).copy(b);
  return b;
}

export async function rig(opts: RigOptions = {}): Promise<Rig> {
  const blockSize = opts.blockSize ?? 512;
  const store = new MemoryBlockStore({ size: (opts.blocks ?? 1024) * blockSize, readOnly: opts.readOnly });
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize, metaDir: freshMetaDir(), removable: opts.removable });
  const target = new ScsiTarget(TARGET, [lu], { extraCommands: opts.advanced ? undefined : (opts.extra ?? []), ...(opts.logger ? { logger: opts.logger } : {}) });
  const exec: Rig['exec'] = async (cdb, dataOut, who = nexus(1), lun = 0) => {
    const plan = target.prepare({ nexus: who, lun, cdb: cdbOf(cdb), expectedLength: 1 << 24, read: true, write: dataOut !== undefined, taskAttribute: 0 });
    const data = plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(plan.dataOutLength)) : undefined;
    return plan.run(data);
  };
  if (!opts.keepInitialUa) {
    target.nexusSeen(nexus(1));
    await exec([0x00]); // consume POWER ON, RESET
  }
  return { target, lu, store, exec };
}

/** Sense key / ASC / ASCQ of fixed or descriptor sense data. */
export function senseOf(r: ScsiResult): { key: number; asc: number; ascq: number; format: number } {
  const s = r.sense;
  if (!s) throw new Error(`no sense (status ${r.status})`);
  const format = s[0]! & 0x7f;
  if (format === 0x72 || format === 0x73) return { key: s[1]! & 0x0f, asc: s[2]!, ascq: s[3]!, format };
  return { key: s[2]! & 0x0f, asc: s[12]!, ascq: s[13]!, format };
}

/** Sense-key-specific field pointer (fixed format). */
export function fieldPointerOf(r: ScsiResult): { cd: boolean; byte: number; bit?: number } | undefined {
  const s = r.sense!;
  let sks: Buffer | undefined;
  if ((s[0]! & 0x7f) === 0x70) sks = s.subarray(15, 18);
  else {
    for (let i = 8; i < s.length; i += 2 + s[i + 1]!) if (s[i] === 0x02) sks = s.subarray(i + 4, i + 7);
  }
  if (!sks || !(sks[0]! & 0x80)) return undefined;
  return { cd: (sks[0]! & 0x40) !== 0, byte: sks.readUInt16BE(1), bit: sks[0]! & 0x08 ? sks[0]! & 7 : undefined };
}

export function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function be16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

export function read10(lba: number, blocks: number): number[] {
  return [0x28, 0, ...be32(lba), 0, ...be16(blocks), 0];
}

export function write10(lba: number, blocks: number, flags = 0): number[] {
  return [0x2a, flags, ...be32(lba), 0, ...be16(blocks), 0];
}
