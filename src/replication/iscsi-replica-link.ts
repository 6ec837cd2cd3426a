/**
 * ReplicaLink over the embedded initiator: WRITE(16) (FUA when durable) pipelined by the
 * session's command window, READ(16), SYNCHRONIZE CACHE, UNMAP, GET LBA STATUS, the vendor
 * challenge list for resync, staged passes, TEST UNIT READY pings for RTT, and PR
 * registrations for the volume tag.
 */
import { challengeBatch, readChallengeAlgorithms } from '../initiator/challenge.js';
import { GatheredData, type DataOut } from '../initiator/data-out.js';
import { readChangeMap, readReplicationState, replicationControl } from '../initiator/replication-peer.js';
import { abortPass, beginPass, commitPass, stagedDiscard, stagedWrite } from '../initiator/staged-pass.js';
import { IscsiLoginError, ScsiCheckConditionError, ScsiStatusError } from '../initiator/errors.js';
import { DEFAULT_INITIATOR_NAME, ReconnectingSession, ScsiOpcode, derivedIsid, TaskAttribute, WRITE_SCATTERED_SA, parseIscsiUrl } from '../initiator/index.js';
import {
  ChallengeLimits,
  ChallengeMode,
  MAX_UNMAP_LBA_COUNT,
  type ChallengeAlgorithmCode,
  type ChangeMapSlice,
  type ReplicationActionCode,
  type ReplicationStateReport,
} from '../replica-protocol/index.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { FenceClearing } from './fence-clearing.js';
import { LBA_STATUS_DESCRIPTORS, PeerAllocation } from './peer-allocation.js';
import {
  ReplicaLinkError,
  smooth,
  type AllocationExtent,
  type ChallengeExtent,
  type ExtentWrite,
  type LinkHealth,
  type ReplicaLink,
  type VolumeTag,
  type WriteData,
} from './replica-link.js';
import { PrOut, keyOfTag, parseReadKeys, prOutCdb, prOutParameters, readKeysCdb, tagsOfKeys } from './volume-tag-pr.js';

export interface IscsiReplicaLinkOptions {
  /** iscsi://[user:secret@]host[:port]/IQN/LUN */
  url: string;
  initiatorName?: string;
  /**
   * The local volume this link replicates, named so that no other volume shares the name (this
   * host and the LUN's metadata directory): the link then logs in as the same initiator port
   * every time (replicaLinkIsid). Without it the ISID is random for each link.
   */
  localVolume?: string;
  /** Every command settles within this (default 5 s). */
  operationTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The ISID a volume's link to one LUN of its peer logs in with: the same across reconnects
 * and restarts, so a new session reinstates the one the peer may still hold (a connection it
 * has not yet seen fail), and the peer runs none of the new session's writes before that
 * session's last ones have settled, nor any of the old session's afterwards. Another volume
 * pointed at the same peer by mistake is another initiator port: it is refused beside the
 * right one, not taken for it.
 */
export function replicaLinkIsid(initiatorName: string, localVolume: string, targetName: string, lun: number): Buffer {
  return derivedIsid(`tandem-replica-link\0${initiatorName.toLowerCase()}\0${localVolume}\0${targetName.toLowerCase()}\0${lun}`);
}

const MAX_READ_KEYS_BYTES = 8 + 8 * 256;
/** A commit copies the staged pass onto the backup's image: allow it this rate beyond the usual timeout. */
const COMMIT_BYTES_PER_MS = 16 * 1024;
/** Blocks per UNMAP: within what a Tandem target accepts in one command (VPD B0h). */
const UNMAP_BLOCKS_PER_COMMAND = MAX_UNMAP_LBA_COUNT;
/** Zeroes written per command when the replica cannot UNMAP. */
const ZERO_FILL_BYTES = 1024 * 1024;
const ILLEGAL_REQUEST = 0x5;
const UNIT_ATTENTION = 0x6;
/** ASC/ASCQ 28h/00h: NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED. */
const MEDIUM_MAY_HAVE_CHANGED = 0x2800;
/** At most one 4 KiB block of LBA range descriptors (32-byte header, 32 bytes each). */
const SCATTERED_RANGES_PER_COMMAND = 127;
/** The replica-stream commands: a failed one fences this nexus on the backup (scsi/replicator-fence.ts). */
const STREAM_OPERATIONS = new Set(['write', 'flush', 'unmap']);
export class IscsiReplicaLink implements ReplicaLink {
  private healthState: LinkHealth = { up: true, rttMs: undefined, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 0 };
  private nextListId = 1;
  private readonly peerAllocation: PeerAllocation;
  /** The backup refused a staged discard: it gets staged zeroes from then on. */
  private stagedDiscardRefused = false;
  private readonly fence: FenceClearing;
  onPeerEvent: (() => void) | undefined;

  private constructor(
    private readonly session: ReconnectingSession,
    private readonly lun: number,
    readonly size: number,
    readonly blockSize: number,
    private readonly timeoutMs: number,
    /** From the peer's C0h page, read once at connect (not again after a reconnect). */
    readonly challengeAlgorithms: readonly number[] | undefined,
    /**
     * READ CAPACITY(16) LBPME and LBPRZ, read again by capacity() (every bind, so after every
     * reconnect before a pass): the peer may have come back over another store meanwhile.
     */
    public thin: boolean,
    /** Ranges we put in one WRITE SCATTERED; 0: the backup does not take it (asked once, at connect). */
    readonly scatteredRanges: number,
    log: Logger,
  ) {
    this.fence = new FenceClearing(
      { clear: () => this.session.current?.abortTaskSet(this.lun) ?? Promise.resolve(), stopReissues: () => this.session.stopReissues() },
      log,
    );
    this.peerAllocation = new PeerAllocation((lba) => this.session.getLbaStatus(this.lun, lba, LBA_STATUS_DESCRIPTORS), blockSize, size, thin, log);
  }

  static async connect(options: IscsiReplicaLinkOptions): Promise<IscsiReplicaLink> {
    const url = parseIscsiUrl(options.url);
    const timeoutMs = options.operationTimeoutMs ?? 5_000;
    // The session reconnects before the link exists to be told: it asks the link made below.
    let made: IscsiReplicaLink | undefined;
    const session = await ReconnectingSession.connect({
      host: url.host,
      port: url.port,
      targetName: url.targetName,
      ...(options.initiatorName ? { initiatorName: options.initiatorName } : {}),
      ...(options.localVolume !== undefined ? { isid: replicaLinkIsid(options.initiatorName ?? DEFAULT_INITIATOR_NAME, options.localVolume, url.targetName, url.lun) } : {}),
      ...(url.user && url.secret ? { chap: { user: url.user, secret: url.secret } } : {}),
      timeouts: { commandMs: timeoutMs, nopIntervalMs: Math.max(1000, timeoutMs / 2), nopTimeoutMs: timeoutMs },
      reconnect: { giveUpAfterMs: timeoutMs },
      onReconnect: () => made?.onPeerEvent?.(),
    });
    try {
      await session.waitReady(url.lun);
      const capacity = await session.readCapacity16(url.lun);
      const algorithms = await readChallengeAlgorithms(session, url.lun);
      const scattered = await session.supportsCommand(url.lun, ScsiOpcode.SERVICE_ACTION_OUT_16, WRITE_SCATTERED_SA);
      const log = options.logger ?? moduleLogger('replica-link');
      const size = Number(capacity.blockCount) * capacity.blockSize;
      made = new IscsiReplicaLink(session, url.lun, size, capacity.blockSize, timeoutMs, algorithms, capacity.lbpme && capacity.lbprz, scattered ? SCATTERED_RANGES_PER_COMMAND : 0, log);
      return made;
    } catch (e) {
      session.destroy();
      throw e;
    }
  }

  health(): LinkHealth {
    return { ...this.healthState, reconnects: this.session.reconnects };
  }

  async write(data: WriteData, offset: number, durable: boolean, ordered = false): Promise<void> {
    const started = performance.now();
    const options = ordered ? { fua: durable, idempotent: true, taskAttribute: TaskAttribute.ORDERED } : { fua: durable, idempotent: true };
    const out = dataOut(data);
    await this.guard('write', () => this.session.write16(this.lun, offset / this.blockSize, out, options));
    this.healthState.bytesWritten += out.length;
    if (durable) this.healthState.writeLatencyMs = smooth(this.healthState.writeLatencyMs, performance.now() - started);
  }

  async writeScattered(writes: readonly ExtentWrite[], ordered = false, lent = false): Promise<void> {
    if (this.scatteredRanges === 0) throw new Error('the backup does not take WRITE SCATTERED');
    const bs = this.blockSize;
    const options = ordered ? { idempotent: true, gather: lent, taskAttribute: TaskAttribute.ORDERED } : { idempotent: true, gather: lent };
    const ranges = writes.map((w) => ({ lba: w.offset / bs, data: dataOut(w.data) }));
    await this.guard('write', () => this.session.writeScattered(this.lun, ranges, options));
    for (const r of ranges) this.healthState.bytesWritten += r.data.length;
  }

  async read(buf: Buffer, offset: number): Promise<void> {
    const data = await this.guard('read', () => this.session.read16(this.lun, offset / this.blockSize, buf.length / this.blockSize));
    data.copy(buf);
  }

  flush(ordered = false): Promise<void> {
    return this.guard('flush', () => this.session.synchronizeCache(this.lun, ordered ? { taskAttribute: TaskAttribute.ORDERED } : {}));
  }

  async discard(offset: number, length: number): Promise<void> {
    const bs = this.blockSize;
    for (let lba = offset / bs, left = length / bs; left > 0; ) {
      const blocks = Math.min(left, UNMAP_BLOCKS_PER_COMMAND);
      if (this.zeroFill) await this.writeZeroes(lba * bs, blocks * bs);
      else {
        try {
          await this.guard('unmap', () => this.session.unmap(this.lun, [{ lba, blocks }]));
        } catch (e) {
          // A replica that cannot UNMAP gets zeroes instead: reads must match the primary's.
          const cause = (e as Error).cause;
          if (!(cause instanceof ScsiCheckConditionError && cause.sense.key === ILLEGAL_REQUEST)) throw e;
          this.zeroFill = true;
          continue;
        }
      }
      lba += blocks;
      left -= blocks;
    }
  }

  private zeroFill = false;

  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    return this.guard('get-lba-status', () => this.peerAllocation.extents(offset, maxLength));
  }

  private async writeZeroes(offset: number, length: number): Promise<void> {
    const zeroes = Buffer.alloc(Math.min(length, ZERO_FILL_BYTES));
    for (let at = 0; at < length; at += zeroes.length) {
      const piece = Math.min(zeroes.length, length - at);
      await this.write(zeroes.subarray(0, piece), offset + at, false);
    }
  }

  async challenge(extents: readonly ChallengeExtent[], algorithm?: ChallengeAlgorithmCode): Promise<Buffer[]> {
    const answers: Buffer[] = [];
    for (let at = 0; at < extents.length; at += ChallengeLimits.MAX_ENTRIES_PER_LIST) {
      const slice = extents.slice(at, at + ChallengeLimits.MAX_ENTRIES_PER_LIST).map((e) => ({
        lba: BigInt(e.offset / this.blockSize),
        blocks: e.length / this.blockSize,
        nonce: e.nonce,
      }));
      const listId = this.nextListId++;
      // Sent once: a list lost with the connection fails the pass, which challenges again with new nonces (the backup never sees one twice).
      answers.push(...(await this.guard('challenge', () => challengeBatch(this.session, this.lun, slice, { listId, mode: ChallengeMode.HMAC, algorithm, resendAfterReconnect: false }))));
    }
    return answers;
  }

  async ping(): Promise<number> {
    const started = performance.now();
    // TEST UNIT READY rather than NOP: it also proves the LUN answers, and it survives reconnects.
    await this.guard('ping', () => this.session.testUnitReady(this.lun));
    const rtt = performance.now() - started;
    this.healthState.rttMs = smooth(this.healthState.rttMs, rtt);
    return rtt;
  }

  async capacity(): Promise<{ size: number; blockSize: number }> {
    const c = await this.guard('read-capacity', () => this.session.readCapacity16(this.lun));
    const thin = c.lbpme && c.lbprz;
    if (thin !== this.thin) {
      // A pass onto a store that no longer reads zeroes where it deallocated must write them.
      this.thin = thin;
      this.peerAllocation.provisioning(thin);
      // What the old store refused says nothing of this one's UNMAP: asked again.
      this.zeroFill = this.stagedDiscardRefused = false;
    }
    return { size: Number(c.blockCount) * c.blockSize, blockSize: c.blockSize };
  }

  async readTags(): Promise<VolumeTag[]> {
    const r = await this.guard('read-keys', () =>
      this.session.scsi(this.lun, readKeysCdb(MAX_READ_KEYS_BYTES), { dataInLength: MAX_READ_KEYS_BYTES }),
    );
    return tagsOfKeys(parseReadKeys(r.dataIn ?? Buffer.alloc(0)));
  }

  async claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    const key = keyOfTag(tag);
    await this.guard('register', () =>
      this.session.scsi(this.lun, prOutCdb(PrOut.REGISTER_AND_IGNORE_EXISTING_KEY), { dataOut: prOutParameters(0n, key) }),
    );
    for (const foreign of evict) {
      await this.guard('preempt', () =>
        this.session.scsi(this.lun, prOutCdb(PrOut.PREEMPT), { dataOut: prOutParameters(key, keyOfTag(foreign)) }),
      );
    }
  }

  beginPass(passId: bigint): Promise<boolean> {
    return this.guard('begin-pass', () => beginPass(this.session, this.lun, passId));
  }

  async stagedWrite(data: Buffer, offset: number): Promise<void> {
    await this.guard('staged-write', () => stagedWrite(this.session, this.lun, offset / this.blockSize, this.blockSize, data));
    this.healthState.bytesWritten += data.length;
  }

  async stagedDiscard(offset: number, length: number): Promise<boolean> {
    if (this.stagedDiscardRefused) return false;
    const bs = this.blockSize;
    for (let lba = offset / bs, left = length / bs; left > 0; ) {
      const blocks = Math.min(left, UNMAP_BLOCKS_PER_COMMAND);
      const staged = await this.guard('staged-discard', () => stagedDiscard(this.session, this.lun, lba, blocks));
      if (!staged) {
        this.stagedDiscardRefused = true;
        return false;
      }
      lba += blocks;
      left -= blocks;
    }
    return true;
  }

  commitPass(passId: bigint, stagedBytes: number): Promise<void> {
    const timeoutMs = this.timeoutMs + Math.ceil(stagedBytes / COMMIT_BYTES_PER_MS);
    return this.guard('commit-pass', () => commitPass(this.session, this.lun, passId, timeoutMs));
  }

  abortPass(passId: bigint): Promise<void> {
    return this.guard('abort-pass', () => abortPass(this.session, this.lun, passId));
  }

  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.guard('replication-state', () => readReplicationState(this.session, this.lun));
  }

  readChangeMap(chunks: number): Promise<ChangeMapSlice> {
    return this.guard('read-change-map', () => readChangeMap(this.session, this.lun, chunks));
  }

  control(action: ReplicationActionCode, parameters: Buffer): Promise<boolean> {
    return this.guard('replication-control', () => replicationControl(this.session, this.lun, action, parameters));
  }

  async close(): Promise<void> {
    try {
      await this.session.logout();
    } catch {
      this.session.destroy();
    }
  }

  /** Runs one operation, recording health; errors become ReplicaLinkError. */
  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      const value = await this.fence.run(op, STREAM_OPERATIONS.has(what));
      this.healthState.up = true;
      this.healthState.answering = true;
      return value;
    } catch (e) {
      const message = `${what} on replica failed: ${(e as Error).message}`;
      this.healthState.up = false;
      this.healthState.lastError = message;
      // A re-login refused for this node's settings (its CHAP secret, the target) is an answer too.
      this.healthState.answering = e instanceof ScsiCheckConditionError || e instanceof ScsiStatusError || (e instanceof IscsiLoginError && e.refusedInitiator);
      // Counted, not only failed: whichever command meets it, the engine must bind again,
      // even if a later command succeeds before its next look at the link.
      if (e instanceof ScsiCheckConditionError && e.sense.key === UNIT_ATTENTION && ((e.sense.asc << 8) | e.sense.ascq) === MEDIUM_MAY_HAVE_CHANGED) {
        this.healthState.imageChanges = (this.healthState.imageChanges ?? 0) + 1;
        this.onPeerEvent?.();
      }
      throw new ReplicaLinkError(message, { cause: e });
    }
  }
}

/** A link write's bytes as the session sends them: pieces as a gather list, no copy. */
function dataOut(data: WriteData): DataOut {
  return Buffer.isBuffer(data) ? data : new GatheredData(data);
}
