/**
 * The replica's allocation as its GET LBA STATUS reports it, in bytes, for the pass
 * planner. Only a thin replica whose deallocated blocks read as zeroes (READ CAPACITY(16)
 * LBPME and LBPRZ) can tell. One that is not, that refuses the command (INVALID COMMAND
 * OPERATION CODE, INVALID FIELD IN CDB) or answers a malformed parameter list is treated as
 * allocated everywhere from then on, logged once: passes onto it behave as before.
 */
import { ScsiCheckConditionError, ScsiDataError, provisionedRuns, type LbaStatusDescriptor } from '../initiator/index.js';
import type { Logger } from '../util/log.js';
import type { AllocationExtent } from './replica-link.js';

/** One GET LBA STATUS from `lba`, decoded (throws ScsiDataError when malformed). */
export type LbaStatusQuery = (lba: bigint) => Promise<LbaStatusDescriptor[]>;

/** Descriptors asked for per command: a Tandem target answers at most 64, others may give more. */
export const LBA_STATUS_DESCRIPTORS = 256;

const ILLEGAL_REQUEST = 0x5;
const INVALID_COMMAND_OPERATION_CODE = 0x20;
const INVALID_FIELD_IN_CDB = 0x24;

export class PeerAllocation {
  /** Why the replica's allocation is not known (set once, for good). */
  private unknown: string | undefined;
  private logged = false;

  constructor(
    private readonly query: LbaStatusQuery,
    private readonly blockSize: number,
    private readonly size: number,
    /** LBPME and LBPRZ: deallocated blocks exist and read as zeroes. */
    thin: boolean,
    private readonly log: Logger,
  ) {
    if (!thin) this.unknown = 'not-thin';
  }

  /** The replica came back thin or not (another store behind a reconnected link): its allocation is worth asking again, or no longer. */
  provisioning(thin: boolean): void {
    this.unknown = thin ? undefined : 'not-thin';
    this.logged = false;
  }

  /** See ReplicaLink.allocation. Link failures still throw (the pass fails as with any command). */
  async extents(offset: number, maxLength: number): Promise<AllocationExtent[] | undefined> {
    if (this.unknown !== undefined) return this.giveUp(this.unknown);
    const bs = this.blockSize;
    const startLba = Math.floor(offset / bs);
    let descriptors: LbaStatusDescriptor[];
    try {
      descriptors = await this.query(BigInt(startLba));
    } catch (e) {
      if (e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST && (e.sense.asc === INVALID_COMMAND_OPERATION_CODE || e.sense.asc === INVALID_FIELD_IN_CDB)) {
        return this.giveUp('refused', e.message);
      }
      if (e instanceof ScsiDataError) return this.giveUp('malformed', e.message);
      throw e;
    }
    return provisionedRuns(descriptors, offset, Math.min(offset + maxLength, this.size), bs);
  }

  private giveUp(reason: string, detail?: string): undefined {
    this.unknown = reason;
    if (!this.logged) {
      this.logged = true;
      const fields = { event: 'replica-allocation-unknown', reason, ...(detail ? { detail } : {}) };
      const message = 'the replica cannot report its allocation: passes treat it as allocated everywhere';
      if (reason === 'not-thin') this.log.info(fields, message);
      else this.log.warn(fields, message);
    }
    return undefined;
  }
}
