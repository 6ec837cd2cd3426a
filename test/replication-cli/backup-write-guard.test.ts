import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { parseSense } from '../../src/initiator/sense-parse.js';
import { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../src/scsi/scsi-target.js';
import type { Nexus } from '../../src/scsi/types.js';

const TARGET = 'iqn.2026-11.io.tandem:backup';
const REPLICATOR = 'iqn.2026-11.io.tandem:replicator';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function nexusOf(initiatorName: string, n: number): Nexus {
  const isid = n.toString(16).padStart(12, '0');
  return { id: `${initiatorName},i,0x${isid}|${TARGET},t,0x1`, initiatorName, isid, targetName: TARGET, tpgt: 1, relativePortId: 1 };
}

async function backupTarget() {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-guard-'));
  dirs.push(metaDir);
  const store = new MemoryBlockStore({ size: 1024 * 512 });
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize: 512, metaDir, writeAllowed: (n) => n.initiatorName === REPLICATOR });
  const target = new ScsiTarget(TARGET, [lu]);
  const exec = async (who: Nexus, cdb: number[], dataOut?: Buffer) => {
    const b = Buffer.alloc(16);
    Buffer.from(cdb).copy(b);
    const plan = target.prepare({ nexus: who, lun: 0, cdb: b, expectedLength: dataOut?.length ?? 512, read: dataOut === undefined, write: dataOut !== undefined, taskAttribute: 0 });
    return plan.run(plan.dataOutLength > 0 ? dataOut : undefined);
  };
  // Consume each nexus's POWER ON unit attention.
  const ready = async (who: Nexus) => {
    target.nexusSeen(who);
    await exec(who, [0x00]);
  };
  return { store, exec, ready };
}

const WRITE10_LBA3_ONE_BLOCK = [0x2a, 0, 0, 0, 0, 3, 0, 0, 1, 0];
const READ10_LBA3_ONE_BLOCK = [0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0];

describe('backup role: per-nexus write guard', () => {
  it('refuses a write from an ordinary initiator with DATA PROTECT / WRITE PROTECTED and leaves the medium alone', async () => {
    const { store, exec, ready } = await backupTarget();
    const reader = nexusOf('iqn.2026-11.example:host', 1);
    await ready(reader);
    const r = await exec(reader, WRITE10_LBA3_ONE_BLOCK, Buffer.alloc(512, 0xab));
    expect(r.status).toBe(0x02);
    const sense = parseSense(r.sense!);
    expect([sense.key, sense.asc, sense.ascq]).toEqual([0x07, 0x27, 0x00]);
    const onDisk = Buffer.alloc(512);
    await store.read(onDisk, 3 * 512);
    expect(onDisk.every((b) => b === 0)).toBe(true);
    // Reads stay open to everyone.
    expect((await exec(reader, READ10_LBA3_ONE_BLOCK)).status).toBe(0x00);
  });

  it('MODE SENSE shows WP to ordinary initiators only, so they mount the backup read-only', async () => {
    const { exec, ready } = await backupTarget();
    const reader = nexusOf('iqn.2026-11.example:host', 1);
    const replicator = nexusOf(REPLICATOR, 2);
    await ready(reader);
    await ready(replicator);
    const MODE_SENSE6_ALL = [0x1a, 0x08, 0x3f, 0, 0xff, 0];
    expect((await exec(reader, MODE_SENSE6_ALL)).dataIn![2]! & 0x80).toBe(0x80);
    expect((await exec(replicator, MODE_SENSE6_ALL)).dataIn![2]! & 0x80).toBe(0);
  });

  it('lets the replicator write (GOOD, data on the medium)', async () => {
    const { store, exec, ready } = await backupTarget();
    const replicator = nexusOf(REPLICATOR, 2);
    await ready(replicator);
    const r = await exec(replicator, WRITE10_LBA3_ONE_BLOCK, Buffer.alloc(512, 0xcd));
    expect(r.status).toBe(0x00);
    const onDisk = Buffer.alloc(512);
    await store.read(onDisk, 3 * 512);
    expect(onDisk.every((b) => b === 0xcd)).toBe(true);
  });
});
