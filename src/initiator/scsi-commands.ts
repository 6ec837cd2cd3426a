/**
 * Typed SCSI helpers over any CommandIssuer. Vendor commands (the replica challenge) go
 * through `scsi()` and stay thin wrappers around their own CDB builders and parsers.
 */
import {
  ScsiStatus,
  inquiryCdb,
  parseReadCapacity16,
  parseReportLuns,
  read16Cdb,
  readCapacity16Cdb,
  reportLunsCdb,
  reportLunsNeeded,
  synchronizeCacheCdb,
  testUnitReadyCdb,
  unmapCommand,
  write16Cdb,
  writeScatteredCommand,
  writeScatteredGathered,
  reportOneCommandCdb,
  oneCommandSupported,
  ONE_COMMAND_HEADER_BYTES,
  type ScatteredWrite,
  type BlockRange,
  type Capacity,
} from './cdb.js';
import type { CommandRequest, CommandResult, TaskAttributeValue } from './command-types.js';
import { getLbaStatusCdb, lbaStatusAllocationLength, parseLbaStatus, type LbaStatusDescriptor } from './lba-status.js';
import { ScsiCheckConditionError, ScsiStatusError } from './errors.js';
import { NO_SENSE_DATA } from './sense-parse.js';
import { BufferPool, type BufferLease } from '../util/buffer-pool.js';
import type { DataOut } from './data-out.js';

/**
 * WRITE SCATTERED parameter data (a replica stream's batches) is reused: a fresh buffer per
 * command that is still in flight at two young-generation collections (a backup a few
 * milliseconds behind) is external memory V8 frees only in a full collection, and counts
 * against the old generation's limit until then.
 */
const scatteredDataOut = new BufferPool({ minBytes: 512, maxBytes: 1024 * 1024, maxIdleBytes: 16 * 1024 * 1024 });

export interface ScsiOptions {
  dataOut?: DataOut;
  dataInLength?: number;
  taskAttribute?: TaskAttributeValue;
  timeoutMs?: number;
  signal?: AbortSignal;
  idempotent?: boolean;
}

const UNIT_ATTENTION = 0x6;
const ILLEGAL_REQUEST = 0x5;

/** Largest REPORT LUNS list we fetch: 16383 LUNs × 8 bytes + header. */
const MAX_REPORT_LUNS_BYTES = 8 + 8 * 0x3fff;

/** A READ CAPACITY(16) a command started to learn its LUN's block size: settles, never rejects. */
type Sizing = Promise<{ blockSize: number } | { error: unknown }>;

/**
 * Commands reach the wire in the order they are called (a write then a flush must not
 * arrive flush first): each is issued synchronously, except while a READ CAPACITY(16) for
 * its LUN's block size is in flight; then every command to that LUN waits for it, one
 * `await` of the same promise each, so they resume (and are issued) in call order.
 * `command()` itself, called directly, does not wait.
 */
export abstract class ScsiCommands {
  /** Block sizes learned from READ CAPACITY(16), for read16/write16 length arithmetic. */
  private readonly blockSizes = new Map<number, number>();
  private readonly sizing = new Map<number, Sizing>();

  abstract command(request: CommandRequest): Promise<CommandResult>;

  /** Runs any CDB; resolves on GOOD (or CONDITION MET), throws the typed SCSI error otherwise. */
  async scsi(lun: number, cdb: Buffer, options: ScsiOptions = {}): Promise<CommandResult> {
    const sizing = this.sizing.get(lun);
    if (sizing) await sizing;
    const result = await this.command({ lun, cdb, ...options });
    if (result.status === ScsiStatus.GOOD || result.status === ScsiStatus.CONDITION_MET) return result;
    if (result.status === ScsiStatus.CHECK_CONDITION) throw new ScsiCheckConditionError(result.sense ?? NO_SENSE_DATA, cdb);
    throw new ScsiStatusError(result.status, cdb);
  }

  async testUnitReady(lun: number): Promise<void> {
    await this.scsi(lun, testUnitReadyCdb());
  }

  /**
   * TEST UNIT READY until the LUN stops reporting UNIT ATTENTION (power on, reset,
   * capacity change): the first command of a new I_T nexus normally gets one.
   */
  async waitReady(lun: number, attempts = 8): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        return await this.testUnitReady(lun);
      } catch (e) {
        if (!(e instanceof ScsiCheckConditionError) || e.sense.key !== UNIT_ATTENTION || i >= attempts) throw e;
      }
    }
  }

  async inquiry(lun: number, options: { evpd?: boolean; page?: number; allocationLength?: number } = {}): Promise<Buffer> {
    const allocationLength = options.allocationLength ?? (options.evpd ? 4096 : 255);
    const r = await this.scsi(lun, inquiryCdb(options.evpd ?? false, options.page ?? 0, allocationLength), {
      dataInLength: allocationLength,
    });
    return r.dataIn ?? Buffer.alloc(0);
  }

  async readCapacity16(lun: number): Promise<Capacity> {
    const r = await this.scsi(lun, readCapacity16Cdb(32), { dataInLength: 32 });
    const capacity = parseReadCapacity16(r.dataIn ?? Buffer.alloc(0));
    this.blockSizes.set(lun, capacity.blockSize);
    return capacity;
  }

  async read16(lun: number, lba: bigint | number, blocks: number, options: { fua?: boolean; signal?: AbortSignal } = {}): Promise<Buffer> {
    const blockSize = this.blockSizes.get(lun) ?? blockSizeFrom(await this.learnBlockSize(lun));
    const r = await this.scsi(lun, read16Cdb(lba, blocks, options.fua ?? false), {
      dataInLength: blocks * blockSize,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return r.dataIn ?? Buffer.alloc(0);
  }

  async write16(lun: number, lba: bigint | number, data: DataOut, options: { fua?: boolean; signal?: AbortSignal; idempotent?: boolean; taskAttribute?: TaskAttributeValue } = {}): Promise<void> {
    const blockSize = this.blockSizes.get(lun) ?? blockSizeFrom(await this.learnBlockSize(lun));
    if (data.length % blockSize !== 0) throw new RangeError(`write of ${data.length} bytes is not a multiple of the ${blockSize}-byte block`);
    await this.scsi(lun, write16Cdb(lba, data.length / blockSize, options.fua ?? false), {
      dataOut: data,
      ...(options.taskAttribute !== undefined ? { taskAttribute: options.taskAttribute } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.idempotent !== undefined ? { idempotent: options.idempotent } : {}),
    });
  }

  /**
   * Several writes in one WRITE SCATTERED(16) (their ranges must not overlap). Their data is
   * copied into one buffer, unless `gather`: then it is sent from the writes' own buffers,
   * which the caller leaves unchanged until the command settles and never reuses after a
   * failure (its bytes may still sit in a socket's write queue).
   */
  async writeScattered(lun: number, writes: readonly ScatteredWrite[], options: { fua?: boolean; idempotent?: boolean; taskAttribute?: TaskAttributeValue; gather?: boolean } = {}): Promise<void> {
    let lease: BufferLease | undefined;
    const take = (bytes: number): Buffer => (lease = scatteredDataOut.take(bytes)).buffer;
    const build = options.gather ? writeScatteredGathered : writeScatteredCommand;
    const blockSize = this.blockSizes.get(lun) ?? blockSizeFrom(await this.learnBlockSize(lun));
    const { cdb, dataOut } = build(writes, blockSize, { fua: options.fua ?? false }, take);
    await this.scsi(lun, cdb, {
      dataOut,
      ...(options.taskAttribute !== undefined ? { taskAttribute: options.taskAttribute } : {}),
      ...(options.idempotent !== undefined ? { idempotent: options.idempotent } : {}),
    });
    // Only once answered: a failed command's buffer may still sit in a socket's write queue,
    // so it is left to the collector rather than reused.
    lease?.release();
  }

  /**
   * Whether the device server takes the command (REPORT SUPPORTED OPERATION CODES, one
   * command). A server that refuses the question is taken not to support it either.
   */
  async supportsCommand(lun: number, opcode: number, serviceAction?: number): Promise<boolean> {
    const allocationLength = ONE_COMMAND_HEADER_BYTES + 32;
    try {
      const r = await this.scsi(lun, reportOneCommandCdb(opcode, serviceAction, allocationLength), { dataInLength: allocationLength });
      return oneCommandSupported(r.dataIn ?? Buffer.alloc(0));
    } catch (e) {
      if (e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST) return false;
      throw e;
    }
  }

  async synchronizeCache(lun: number, options: { taskAttribute?: TaskAttributeValue } = {}): Promise<void> {
    await this.scsi(lun, synchronizeCacheCdb(), options);
  }

  async unmap(lun: number, ranges: readonly BlockRange[]): Promise<void> {
    const { cdb, parameters } = unmapCommand(ranges);
    await this.scsi(lun, cdb, { dataOut: parameters });
  }

  /**
   * GET LBA STATUS from `lba`: at most `descriptors` descriptors (the target may return
   * fewer). Throws ScsiDataError when the parameter data is malformed (see parseLbaStatus).
   */
  async getLbaStatus(lun: number, lba: bigint | number, descriptors: number): Promise<LbaStatusDescriptor[]> {
    const allocationLength = lbaStatusAllocationLength(descriptors);
    const r = await this.scsi(lun, getLbaStatusCdb(lba, allocationLength), { dataInLength: allocationLength });
    return parseLbaStatus(r.dataIn ?? Buffer.alloc(0), BigInt(lba));
  }

  /** LUNs of the target (sent to LUN 0, as SPC-4 allows for REPORT LUNS). */
  async reportLuns(): Promise<number[]> {
    let allocation = 8 + 8 * 64;
    for (;;) {
      const r = await this.scsi(0, reportLunsCdb(allocation), { dataInLength: allocation });
      const data = r.dataIn ?? Buffer.alloc(0);
      const needed = Math.min(reportLunsNeeded(data), MAX_REPORT_LUNS_BYTES);
      if (needed <= allocation || allocation >= MAX_REPORT_LUNS_BYTES) return parseReportLuns(data);
      allocation = needed;
    }
  }

  /** Remember a block size learned elsewhere (e.g. from a CLI flag), skipping READ CAPACITY. */
  setBlockSize(lun: number, blockSize: number): void {
    this.blockSizes.set(lun, blockSize);
  }

  /**
   * The READ CAPACITY(16) under way for this LUN, or a new one. Callers use a known block
   * size without awaiting (an await would let a later command overtake theirs) and await
   * this promise itself, no wrapper, so they resume in the same order as scsi()'s waiters.
   */
  private learnBlockSize(lun: number): Sizing {
    let sizing = this.sizing.get(lun);
    if (!sizing) {
      // Issued before it is registered, so it does not wait for itself.
      sizing = this.readCapacity16(lun).then(
        ({ blockSize }) => {
          this.sizing.delete(lun);
          return { blockSize };
        },
        (error: unknown) => {
          this.sizing.delete(lun);
          return { error };
        },
      );
      this.sizing.set(lun, sizing);
    }
    return sizing;
  }
}

function blockSizeFrom(learned: Awaited<Sizing>): number {
  if ('error' in learned) throw learned.error;
  return learned.blockSize;
}
