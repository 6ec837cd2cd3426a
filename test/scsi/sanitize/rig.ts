import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { BlockIoError, type BlockDevice } from '../../../src/block/device.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit, type MediaKeyChange } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import type { PreparedCommand, ScsiResult } from '../../../src/scsi/types.js';
import { TARGET, cdbOf, nexus } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function metaDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-sanitize-'));
  dirs.push(d);
  return d;
}

/**
 * A memory store the test steers: writes can be held at a gate, made to fail from the
 * n-th one on, and are recorded (offset and first byte) in order.
 */
export class SteeredStore extends MemoryBlockStore {
  readonly writes: { offset: number; length: number; first: number }[] = [];
  flushes = 0;
  failFromWrite = Infinity;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(size: number, opts: { canDiscard?: boolean } = {}) {
    super({ size });
    // A store that cannot deallocate (a block device without discard) when asked.
    (this as { canDiscard: boolean }).canDiscard = opts.canDiscard ?? true;
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  override async write(buf: Buffer, offset: number, fua?: boolean): Promise<void> {
    if (this.gate) await this.gate;
    if (this.writes.length >= this.failFromWrite) throw new BlockIoError('EIO', -5, 'injected write failure');
    this.writes.push({ offset, length: buf.length, first: buf[0]! });
    return super.write(buf, offset, fua);
  }

  override async flush(): Promise<void> {
    this.flushes++;
    return super.flush();
  }
}

export interface SanitizeRig {
  target: ScsiTarget;
  lu: LogicalUnit;
  store: BlockDevice;
  metaDir: string;
  /** Prepare a command (the plan stays reachable, e.g. for abandon). */
  prepare(cdb: number[], who?: number): PreparedCommand;
  exec(cdb: number[], dataOut?: Buffer, who?: number): Promise<ScsiResult>;
}

export const BLOCK = 512;

export async function sanitizeRig(
  opts: { store?: BlockDevice; metaDir?: string; blockSize?: number; advanced?: boolean; mediaKey?: MediaKeyChange } = {},
): Promise<SanitizeRig> {
  const blockSize = opts.blockSize ?? BLOCK;
  const store = opts.store ?? new SteeredStore(64 * blockSize);
  const dir = opts.metaDir ?? metaDir();
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize, metaDir: dir, ...(opts.mediaKey ? { mediaKey: opts.mediaKey } : {}) });
  const target = new ScsiTarget(TARGET, [lu], { extraCommands: opts.advanced ? undefined : [] });
  const prepare = (cdb: number[], who = 1): PreparedCommand =>
    target.prepare({ nexus: nexus(who), lun: 0, cdb: cdbOf(cdb), expectedLength: 1 << 24, read: true, write: true, taskAttribute: 0 });
  const exec = (cdb: number[], dataOut?: Buffer, who = 1): Promise<ScsiResult> => {
    const plan = prepare(cdb, who);
    return plan.run(plan.dataOutLength > 0 ? (dataOut ?? Buffer.alloc(plan.dataOutLength)) : undefined);
  };
  for (const who of [1, 2]) {
    target.nexusSeen(nexus(who));
    await exec([0x00], undefined, who);
  }
  return { target, lu, store, metaDir: dir, prepare, exec };
}

export const SA = { OVERWRITE: 0x01, BLOCK_ERASE: 0x02, CRYPTO_ERASE: 0x03, EXIT_FAILURE_MODE: 0x1f } as const;

/** A SANITIZE CDB. */
export function sanitize(sa: number, o: { immed?: boolean; ause?: boolean; length?: number } = {}): number[] {
  const length = o.length ?? 0;
  return [0x48, (o.immed ? 0x80 : 0) | (o.ause ? 0x20 : 0) | sa, 0, 0, 0, 0, 0, length >> 8, length & 0xff, 0];
}

/** An OVERWRITE parameter list. */
export function overwriteList(pattern: Buffer, o: { count?: number; invert?: boolean; test?: number } = {}): Buffer {
  const head = Buffer.from([(o.invert ? 0x80 : 0) | ((o.test ?? 0) << 5) | (o.count ?? 1), 0, pattern.length >> 8, pattern.length & 0xff]);
  return Buffer.concat([head, pattern]);
}

/** SANITIZE OVERWRITE with its parameter list, in one call. */
export function overwrite(r: SanitizeRig, pattern: Buffer, o: { count?: number; invert?: boolean; immed?: boolean; ause?: boolean } = {}): Promise<ScsiResult> {
  const list = overwriteList(pattern, o);
  return r.exec(sanitize(SA.OVERWRITE, { ...o, length: list.length }), list);
}

/** Waits until the LU has no sanitize in progress. */
export async function settle(lu: LogicalUnit): Promise<void> {
  await lu.sanitize.idle();
}

/** Takes every pending unit attention of nexus `who` (resets leave one per cause). */
export async function drainUnitAttentions(r: SanitizeRig, who = 1): Promise<void> {
  for (let i = 0; i < 8; i++) if ((await r.exec([0x00], undefined, who)).status === 0) return;
}

/** Sense-key-specific bytes of fixed-format sense data: SKSV and the 16-bit value. */
export function senseKeySpecificOf(r: ScsiResult): { sksv: boolean; value: number } {
  const s = r.sense!;
  return { sksv: (s[15]! & 0x80) !== 0, value: s.readUInt16BE(16) };
}
