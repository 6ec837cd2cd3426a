/**
 * One LUN reached over an iSCSI session: answers challenge lists (its own LIST IDENTIFIER
 * space, since lists belong to the nexus), reads and writes extents for repair.
 */
import { challengeBatch } from '../initiator/challenge.js';
import { IscsiConnectionError, ScsiCheckConditionError, ScsiDataError, provisionedRuns, type IscsiUrl, type ReconnectingSession, type WireStats } from '../initiator/index.js';
import type { AllocationQuery } from './allocation.js';
import type { ChallengeAlgorithmCode, ChallengeEntry, ChallengeVpd } from '../replica-protocol/index.js';
import type { Extent } from './plan.js';
import { hostAndPort } from '../util/host-port.js';

/** Descriptors asked for per GET LBA STATUS (a Tandem target answers at most 64). */
const LBA_STATUS_DESCRIPTORS = 256;

/**
 * Tries per challenge list: the first, and again after reconnects that lost it. Each try is
 * a new list with new nonces, drawn by the engine (engine.ts): a nonce is never sent twice.
 */
export const LIST_ATTEMPTS = 3;
const ILLEGAL_REQUEST = 0x5;
const INVALID_FIELD_IN_CDB = 0x24;

/**
 * Whether a list failed because its session was replaced: the connection dropped while it
 * was in flight, or the new nexus does not know its LIST IDENTIFIER (lists die with the nexus).
 */
export function lostWithConnection(e: unknown): boolean {
  if (e instanceof IscsiConnectionError) return true;
  return e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST && e.sense.asc === INVALID_FIELD_IN_CDB && e.sense.field?.byte === 2;
}

export class RemoteLun {
  private nextListId = 1;

  constructor(
    readonly session: ReconnectingSession,
    readonly url: IscsiUrl,
    readonly blockSize: number,
    readonly totalBlocks: number,
    readonly vpd: ChallengeVpd,
    /** LBPME and LBPRZ: deallocated blocks exist and read as zeroes, so GET LBA STATUS can tell where it holds nothing. */
    private thin = false,
  ) {}

  /** Its allocation from `offset` as GET LBA STATUS reports it (allocation.ts), or undefined: not thin, or the command refused. */
  readonly allocation: AllocationQuery = async (offset, maxLength) => {
    if (!this.thin) return undefined;
    let descriptors;
    try {
      descriptors = await this.session.getLbaStatus(this.lun, Math.floor(offset / this.blockSize), LBA_STATUS_DESCRIPTORS);
    } catch (e) {
      if (!(e instanceof ScsiCheckConditionError) && !(e instanceof ScsiDataError)) throw e;
      // Refused (not supported; a backup's standby port, which answers challenges only) or not
      // understood, once: every chunk is challenged, as before.
      this.thin = false;
      return undefined;
    }
    return provisionedRuns(descriptors, offset, offset + maxLength, this.blockSize);
  };

  get lun(): number {
    return this.url.lun;
  }

  get sizeBytes(): number {
    return this.totalBlocks * this.blockSize;
  }

  /** The URL as typed, minus any secret (the IQN stays readable, unlike the percent-encoded canonical form). */
  get describe(): string {
    const u = this.url;
    const user = u.user !== undefined ? `${u.user}${u.secret !== undefined ? ':***' : ''}@` : '';
    return `iscsi://${user}${hostAndPort(u.host, u.port)}/${u.targetName}/${u.lun}`;
  }

  get stats(): Readonly<WireStats> {
    return this.session.stats;
  }

  get algorithms(): readonly number[] {
    return this.vpd.algorithms;
  }

  /**
   * V_B of each entry, in order, under a new LIST IDENTIFIER. Sent once: a list lost with a
   * dropped connection fails here (lostWithConnection tells), and the caller challenges again
   * with new nonces. The session does not re-issue the SEND CHALLENGE LIST on its new nexus
   * either, which would show the replica these nonces a second time.
   */
  async answers(entries: readonly ChallengeEntry[], algorithm: ChallengeAlgorithmCode): Promise<Buffer[]> {
    const listId = this.nextListId;
    this.nextListId = (this.nextListId + 1) >>> 0 || 1;
    return challengeBatch(this.session, this.lun, entries, { listId, algorithm, resendAfterReconnect: false });
  }

  read(extent: Extent): Promise<Buffer> {
    return this.session.read16(this.lun, extent.lba, extent.blocks);
  }

  write(extent: Extent, data: Buffer): Promise<void> {
    // Idempotent here: repair writes never overlap, so re-sending one after a reconnect is safe.
    return this.session.write16(this.lun, extent.lba, data, { idempotent: true });
  }

  flush(): Promise<void> {
    return this.session.synchronizeCache(this.lun);
  }

  async close(): Promise<void> {
    await this.session.logout().catch(() => this.session.destroy());
  }
}
