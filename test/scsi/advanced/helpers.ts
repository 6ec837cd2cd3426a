import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { writeScatteredCommand as buildWriteScattered, type ScatteredWrite } from '../../../src/initiator/cdb.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit, type UnitAttentions } from '../../../src/scsi/logical-unit.js';
import { advancedCommands } from '../../../src/scsi/commands-advanced.js';
import { writeCommands } from '../../../src/scsi/write.js';
import { StatusError } from '../../../src/scsi/descriptor.js';
import { SenseError } from '../../../src/scsi/sense.js';
import { ScsiStatus, TaskAttribute, type Nexus } from '../../../src/scsi/types.js';
import { BufferLease } from '../../../src/util/buffer-pool.js';

export const TARGET = 'iqn.2024-01.test:tandem';

export function makeNexus(initiator: string, isid = '400001370000', relativePortId = 1): Nexus {
  return {
    id: `${initiator},i,0x${isid}|${TARGET},t,0x1`,
    initiatorName: initiator,
    isid,
    targetName: TARGET,
    tpgt: 1,
    relativePortId,
  };
}

export const A = makeNexus('iqn.2024-01.test:initiator-a');
export const B = makeNexus('iqn.2024-01.test:initiator-b');
export const C = makeNexus('iqn.2024-01.test:initiator-c');

const created: string[] = [];
// Evaluated once per test file (vitest isolates modules), so this is a file-level hook.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-adv-'));
  created.push(dir);
  return dir;
}

export async function makeLu(opts: { blocks?: number; blockSize?: number; metaDir?: string } = {}): Promise<LogicalUnit> {
  const blockSize = opts.blockSize ?? 512;
  const device = new MemoryBlockStore({ size: (opts.blocks ?? 4096) * blockSize });
  return LogicalUnit.create({ lun: 0, targetName: TARGET, device, blockSize, metaDir: opts.metaDir ?? tempDir() });
}

export interface Outcome {
  status: number;
  data?: Buffer;
  sense?: SenseError;
}

/**
 * A minimal dispatcher: table lookup, the reservation check, prepare, run. Errors other
 * than SenseError/StatusError propagate so tests notice them.
 */
export async function exec(
  lu: LogicalUnit,
  nexus: Nexus,
  cdbBytes: number[] | Buffer,
  dataOut?: Buffer,
  expectedLength?: number,
): Promise<Outcome> {
  const cdb = Buffer.alloc(Math.max(16, cdbBytes.length));
  Buffer.from(cdbBytes).copy(cdb);
  // Plain WRITEs too: the advanced commands' locking is against them.
  const desc = [...advancedCommands, ...writeCommands].find((d) => d.opcode === cdb[0] && (d.serviceAction === undefined || d.serviceAction === (cdb[1]! & 0x1f)));
  if (!desc) throw new Error(`no descriptor for opcode ${cdb[0]}`);
  const req = {
    nexus,
    lun: lu.lun,
    cdb,
    expectedLength: expectedLength ?? dataOut?.length ?? 0,
    read: desc.direction === 'in',
    write: desc.direction === 'out',
    taskAttribute: TaskAttribute.SIMPLE,
  };
  try {
    if (lu.reservations.conflicts(nexus, desc.conflict)) return { status: ScsiStatus.RESERVATION_CONFLICT };
    const plan = desc.prepare(lu, { req, cdb, nexus });
    const out = plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(0)).subarray(0, plan.dataOutLength) : undefined;
    const data = await plan.run(out);
    // A pooled answer (a lease) is its buffer, as the target sends it.
    return { status: ScsiStatus.GOOD, data: data instanceof BufferLease ? data.buffer : (data ?? undefined) };
  } catch (err) {
    if (err instanceof SenseError) return { status: ScsiStatus.CHECK_CONDITION, sense: err };
    if (err instanceof StatusError) return { status: err.status };
    throw err;
  }
}

// --- CDB builders --------------------------------------------------------------------

export function prOutCdb(action: number, type = 0, length = 24, scope = 0): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5f;
  cdb[1] = action;
  cdb[2] = (scope << 4) | type;
  cdb.writeUInt32BE(length, 5);
  return cdb;
}

export function prOutParams(key: bigint, sark: bigint, flags = 0): Buffer {
  const p = Buffer.alloc(24);
  p.writeBigUInt64BE(key, 0);
  p.writeBigUInt64BE(sark, 8);
  p[20] = flags;
  return p;
}

export function prInCdb(action: number, allocation = 8192): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5e;
  cdb[1] = action;
  cdb.writeUInt16BE(allocation, 7);
  return cdb;
}

/** Unit attentions that go nowhere: for reservation state machines tested without a LU. */
export const noAttentions: UnitAttentions = { establish() {}, establishFor() {}, establishWhere() {}, take: () => undefined, peek: () => undefined };

export const SA = { REGISTER: 0, RESERVE: 1, RELEASE: 2, CLEAR: 3, PREEMPT: 4, PREEMPT_AND_ABORT: 5, REGISTER_IGNORE: 6, REGISTER_AND_MOVE: 7 } as const;

export async function register(lu: LogicalUnit, n: Nexus, key: bigint, flags = 0): Promise<Outcome> {
  return exec(lu, n, prOutCdb(SA.REGISTER_IGNORE), prOutParams(0n, key, flags));
}

export async function prOut(lu: LogicalUnit, n: Nexus, action: number, type: number, key: bigint, sark = 0n): Promise<Outcome> {
  return exec(lu, n, prOutCdb(action, type), prOutParams(key, sark));
}

export async function readKeys(lu: LogicalUnit, n: Nexus): Promise<{ generation: number; keys: bigint[] }> {
  const r = await exec(lu, n, prInCdb(0));
  const d = r.data!;
  const keys: bigint[] = [];
  for (let i = 0; i < d.readUInt32BE(4) / 8; i++) keys.push(d.readBigUInt64BE(8 + 8 * i));
  return { generation: d.readUInt32BE(0), keys };
}

export async function readReservation(lu: LogicalUnit, n: Nexus): Promise<{ key: bigint; type: number } | undefined> {
  const r = await exec(lu, n, prInCdb(1));
  const d = r.data!;
  if (d.readUInt32BE(4) === 0) return undefined;
  return { key: d.readBigUInt64BE(8), type: d[21]! & 0x0f };
}

export function writeCdb16(op: number, lba: number | bigint, blocks: number, flags = 0): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = op;
  cdb[1] = flags;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  if (op === 0x89) cdb[13] = blocks;
  else cdb.writeUInt32BE(blocks, 10);
  return cdb;
}

export function writeSame10Cdb(lba: number, blocks: number, flags = 0): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x41;
  cdb[1] = flags;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

export function unmapCdb(length: number, anchor = false): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x42;
  cdb[1] = anchor ? 1 : 0;
  cdb.writeUInt16BE(length, 7);
  return cdb;
}

export function unmapParams(ranges: Array<[number, number]>): Buffer {
  const p = Buffer.alloc(8 + 16 * ranges.length);
  p.writeUInt16BE(6 + 16 * ranges.length, 0);
  p.writeUInt16BE(16 * ranges.length, 2);
  ranges.forEach(([lba, n], i) => {
    p.writeBigUInt64BE(BigInt(lba), 8 + 16 * i);
    p.writeUInt32BE(n, 16 + 16 * i);
  });
  return p;
}

export function getLbaStatusCdb(lba: number, allocation: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x9e;
  cdb[1] = 0x12;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb.writeUInt32BE(allocation, 10);
  return cdb;
}

export async function readBlocks(lu: LogicalUnit, lba: number, blocks: number): Promise<Buffer> {
  const b = Buffer.alloc(blocks * lu.blockSize);
  await lu.device.read(b, lba * lu.blockSize);
  return b;
}

/** Buffer equality without vitest's per-element deep diff (slow on large buffers). */
export function isFilled(buf: Buffer, value: number): boolean {
  return buf.equals(Buffer.alloc(buf.length, value));
}

/** WRITE SCATTERED(16) as our initiator builds it (the replication engine ships with it). */
export function writeScatteredCommand(writes: readonly ScatteredWrite[], blockSize: number, fua = false): { cdb: Buffer; dataOut: Buffer } {
  return buildWriteScattered(writes, blockSize, { fua });
}
