import { ReplicatorFence } from './replicator-fence.js';
import { TaskSet } from './task-set.js';
import { IoCounters } from './io-counters.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AtomicWriteLog } from '../block/atomic-write-log.js';
import { MAX_ATOMIC_WRITE_BYTES } from './limits.js';
import { forgetChallengeLists } from './replica-commands/index.js';
import type { ReplicationEndpoint } from '../replica-protocol/index.js';
import type { BlockDevice } from '../block/device.js';
import type { PassStaging } from '../block/pass-staging.js';
import { ScsiStatus, type Nexus, type ScsiResult, type TaskAborter } from './types.js';
import { Asc, SenseKey, SenseError, lbaOutOfRange, type AscPair } from './sense.js';
import { NexusUnitAttentions } from './unit-attentions.js';
import { RangeLocks } from './extent-locks.js';
import { ModePages } from './mode-pages.js';
import { createReservations } from './reservations/index.js';
import { SanitizeState } from './sanitize/state.js';
import { sanitizeRecordPath } from './sanitize/record.js';
import { mediumWriter, type MediumWriter } from './medium-writer.js';

const MAX_SAFE_LBA = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One logical unit: a block device plus the SCSI state around it (unit attentions, mode
 * pages, extent locks, reservations, medium/prevent state). Command handlers read it;
 * the dispatcher (scsi-target.ts) consults it before running them.
 */

/** Per-nexus unit attention queue for one LU (SAM-5 §5.14, SPC-4 §4.5.4 ordering). */
export interface UnitAttentions {
  /** Queue `asc` for every nexus known to this LU except `except`. */
  establish(asc: AscPair, except?: Nexus): void;
  /** Queue `asc` for one nexus. */
  establishFor(nexus: Nexus, asc: AscPair): void;
  /** Queue `asc` for every nexus known to this LU that `which` accepts. */
  establishWhere(asc: AscPair, which: (nexus: Nexus) => boolean): void;
  /** Take (and clear) the highest-priority pending condition for `nexus`, if any. */
  take(nexus: Nexus): AscPair | undefined;
  /** Look at the pending condition without clearing it (REQUEST SENSE reports and clears; INQUIRY does neither). */
  peek(nexus: Nexus): AscPair | undefined;
}

/** Serialises overlapping LBA ranges (COMPARE AND WRITE atomicity against other writes). */
export interface ExtentLocks {
  /** Resolves with a release function once no overlapping range is held. */
  acquire(lba: number, blocks: number): Promise<() => void>;
  /** The release function if no overlapping range is held now, else undefined (nothing waits). */
  tryAcquire(lba: number, blocks: number): (() => void) | undefined;
}

/** Reservation state of one LU: SPC-2 RESERVE/RELEASE and SPC-4 persistent reservations. */
export interface Reservations {
  /** True when `nexus` may not run a command of the given conflict class now. */
  conflicts(nexus: Nexus, conflictClass: number): boolean;
  /** LUN reset / target reset: drops RESERVE(6/10) reservations, keeps PRs (SPC-4 §5.13.1). */
  onReset(): void;
  /** The nexus is gone (session ended): drops its RESERVE(6/10) reservation. */
  onNexusLoss(nexus: Nexus): void;
  /** What a command admitted now records, for abortedSince. */
  admissionEpoch(): number;
  /** A PREEMPT AND ABORT removed `nexus`'s registration after its command was admitted at `epoch`: it must not run. */
  abortedSince(nexus: Nexus, epoch: number): boolean;
}

/** The media key of an encrypted LU, as SANITIZE CRYPTO ERASE sees it. */
export interface MediaKeyChange {
  /** A new key, durable when this resolves; data written under the old one is unreadable after. */
  rotate(): Promise<void>;
}

export interface LogicalUnitInit {
  lun: number;
  targetName: string;
  device: BlockDevice;
  blockSize: number;
  /** Directory for persistent LU metadata (PR state with APTPL, saved mode pages). */
  metaDir: string;
  /**
   * Report a removable medium (INQUIRY RMB): START STOP UNIT LOEJ ejects/loads it and
   * PREVENT ALLOW MEDIUM REMOVAL applies. Default false, as for LIO and tgt disks.
   */
  removable?: boolean;
  /**
   * Physical block size in bytes, a power-of-two multiple of `blockSize` (default: equal):
   * reported as LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT and as the transfer and unmap
   * granularities, for LUs whose backing store writes in larger units (4 KiB sectors).
   */
  physicalBlockSize?: number;
  /** Byte rate cap of a SANITIZE OVERWRITE (bytes per second); absent: none. */
  sanitizeBytesPerSecond?: number;
  /**
   * The key the LU's data is encrypted with at rest (an encrypted LUN): SANITIZE CRYPTO
   * ERASE changes it. Absent: no CRYPTO ERASE (there is no key to change).
   */
  mediaKey?: MediaKeyChange;
  /**
   * Per-nexus write permission (a replication backup: only the replicator writes). Absent:
   * every nexus may write. A refused nexus sees the LU as write-protected.
   */
  writeAllowed?: (nexus: Nexus) => boolean;
  /**
   * The nexus is the replicator (the peer node's session): ALUA states and reservations,
   * which are the hosts', do not apply to it. Absent: no nexus is.
   */
  replicator?: (nexus: Nexus) => boolean;
  /** Where staged delta passes go (a replication backup); absent: C4h/C5h are not supported. */
  passStaging?: PassStaging;
  /** A replicated LU: answers its peer (VPD C1h, C6h, C7h); absent: those are not supported. */
  replication?: ReplicationEndpoint;
  /**
   * The identity hosts see, when something else decides it (a replicated LU presents its
   * volume's on both nodes); undefined from it means the LU's own.
   */
  identity?: () => LuIdentity | undefined;
}

/** VPD 83h NAA designator (16 bytes) and unit serial number. */
export interface LuIdentity {
  naa: Buffer;
  serial: string;
}

export class LogicalUnit {
  readonly lun: number;
  readonly targetName: string;
  readonly device: BlockDevice;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly readOnly: boolean;
  readonly metaDir: string;
  readonly removable: boolean;
  /** LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (READ CAPACITY(16), granularities in VPD B0h). */
  readonly physicalBlockExponent: number;
  /** SANITIZE state: idle, in progress, or failure mode. */
  readonly sanitize: SanitizeState;
  /** A failed replica-stream command holds the replicator's later ones back (replicator-fence.ts). */
  readonly replicatorFence = new ReplicatorFence((nexus) => this.isReplicator(nexus));
  /** Present on an encrypted LU: what SANITIZE CRYPTO ERASE changes. */
  readonly mediaKey: MediaKeyChange | undefined;
  readonly unitAttentions: UnitAttentions;
  readonly extentLocks: ExtentLocks;
  readonly reservations: Reservations;
  readonly modePages = new ModePages();
  /** When each task may start, by its task attribute (ORDERED waits for all before it). */
  readonly taskSet = new TaskSet();
  /** Commands, bytes and busy time served (the metrics endpoint's per-LUN I/O figures). */
  readonly io = new IoCounters();
  readonly passStaging: PassStaging | undefined;
  readonly replication: ReplicationEndpoint | undefined;
  private readonly ownIdentity: LuIdentity;
  private readonly identityFrom: (() => LuIdentity | undefined) | undefined;

  /** Nexus-specific state lives in `attentions` (its registry of known nexuses) and here. */
  private readonly attentions: NexusUnitAttentions;
  private readonly preventing = new Set<string>();
  private mediumPresent = true;
  private readonly writeAllowed: ((nexus: Nexus) => boolean) | undefined;
  private readonly replicatorTest: ((nexus: Nexus) => boolean) | undefined;

  private constructor(init: LogicalUnitInit) {
    if (init.blockSize <= 0 || init.device.size % init.blockSize !== 0) {
      throw new Error(`device size ${init.device.size} is not a multiple of block size ${init.blockSize}`);
    }
    this.lun = init.lun;
    this.targetName = init.targetName;
    this.device = init.device;
    this.blockSize = init.blockSize;
    this.blockCount = init.device.size / init.blockSize;
    this.readOnly = init.device.readOnly;
    this.metaDir = init.metaDir;
    this.removable = init.removable ?? false;
    this.writeAllowed = init.writeAllowed;
    this.replicatorTest = init.replicator;
    this.passStaging = init.passStaging;
    this.replication = init.replication;
    this.identityFrom = init.identity;
    // By default one logical block per physical block: a file gives no physical geometry worth promising.
    this.physicalBlockExponent = physicalBlockExponent(init.blockSize, init.physicalBlockSize ?? init.blockSize);
    this.attentions = new NexusUnitAttentions();
    this.unitAttentions = this.attentions;
    this.extentLocks = new RangeLocks();
    this.ownIdentity = deriveIdentity(init.targetName, init.lun, init.device.path);
    this.reservations = createReservations(this);
    this.sanitize = new SanitizeState({
      device: init.device,
      blockSize: init.blockSize,
      recordPath: sanitizeRecordPath(init.metaDir, init.lun),
      bytesPerSecond: init.sanitizeBytesPerSecond,
      ...(init.mediaKey ? { mediaKey: init.mediaKey } : {}),
    });
    this.mediaKey = init.mediaKey;
  }

  static async create(init: LogicalUnitInit): Promise<LogicalUnit> {
    const lu = new LogicalUnit(init);
    // Replays an atomic write a crash interrupted, before any command can see the medium.
    if (!init.device.readOnly) {
      lu.atomicWrites = await AtomicWriteLog.open(join(init.metaDir, `lun-${init.lun}-atomic-write.log`), init.device, MAX_ATOMIC_WRITE_BYTES);
    }
    // A sanitize a shutdown interrupted resumes, a failed one keeps the LU in failure mode.
    lu.sanitize.restore();
    return lu;
  }

  /** The NAA designator and serial number INQUIRY reports. */
  get identity(): LuIdentity {
    return this.identityFrom?.() ?? this.ownIdentity;
  }

  /** The identity changed (a backup adopted its primary's): every nexus but the one that caused it is told (SPC-4 §5.14). */
  identityChanged(by?: Nexus): void {
    this.attentions.establish(Asc.INQUIRY_DATA_HAS_CHANGED, by);
  }

  /** The nexus is the replicator (the peer's session), not a host. */
  isReplicator(nexus: Nexus): boolean {
    return this.replicatorTest?.(nexus) ?? false;
  }

  /**
   * RELATIVE TARGET PORT IDENTIFIER of the port `nexus` came through: on a replicated LU the
   * node's port in the pair (numbered like its port group, so the two nodes' ports differ),
   * else the transport's.
   */
  relativePortOf(nexus: Nexus): number {
    return this.replication?.portGroups().local.relativePorts[0] ?? nexus.relativePortId;
  }

  /** TARGET PORT GROUP of this node's port: the node's group on a replicated LU, else the portal group. */
  portGroupOf(nexus: Nexus): number {
    return this.replication?.portGroups().local.id ?? nexus.tpgt;
  }

  /**
   * An ALUA access state changed (a role change began or ended): every host nexus learns it
   * (SPC-4 §5.15.2.5); the replicator, whose commands are not subject to ALUA, does not.
   */
  accessStateChanged(): void {
    this.attentions.establishWhere(Asc.ASYMMETRIC_ACCESS_STATE_CHANGED, (n) => !this.isReplicator(n));
  }

  /**
   * The target's LUN inventory changed (a point exposed or unexposed): hosts learn it
   * (SPC-4 §6.29); the replicator, which uses only its own LUN, is not interrupted.
   */
  lunInventoryChanged(): void {
    this.attentions.establishWhere(Asc.REPORTED_LUNS_DATA_HAS_CHANGED, (n) => !this.isReplicator(n));
  }

  /**
   * The image changed under the replicator's feet (a backup rolled back to a recovery
   * point): its next command gets NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED, so the
   * primary stops, binds again, and resynchronises what changed.
   */
  mediumChangedForReplicator(): void {
    this.attentions.establishWhere(Asc.MEDIUM_MAY_HAVE_CHANGED, (n) => this.isReplicator(n));
  }

  /** WRITE ATOMIC(16)'s log; absent on a read-only LU. */
  atomicWrites: AtomicWriteLog | undefined;

  /** Control mode page D_SENSE. */
  descriptorSense(): boolean {
    return this.modePages.descriptorSense();
  }

  /** Caching mode page WCE. */
  writeCacheEnabled(): boolean {
    return this.modePages.writeCacheEnabled();
  }

  /** Read-only device, or software write protect (Control page SWP) set. */
  writeProtected(): boolean {
    return this.readOnly || this.modePages.softwareWriteProtect();
  }

  /** The device for commands from `nexus`, each write admitted again as it starts (see medium-writer.ts). */
  writerFor(nexus: Nexus): MediumWriter {
    return mediumWriter(this, nexus);
  }

  /**
   * writeProtected(), or this nexus may not write here (writeAllowed). SWP is a host's setting
   * (shared by a replicated LU's two nodes): it stops hosts, never the replicator keeping the
   * LU's other copy in step.
   */
  writeProtectedFor(nexus: Nexus): boolean {
    if (this.readOnly || (this.modePages.softwareWriteProtect() && !this.isReplicator(nexus))) return true;
    return this.writeAllowed !== undefined && !this.writeAllowed(nexus);
  }

  /**
   * MODE SENSE WP for this nexus. Per nexus, so a plain LU with a write guard looks read-only
   * to the initiators it refuses (Linux mounts it read-only). Not on a replicated LU: ALUA
   * refuses host writes through a standby port, and a WP bit seen at login would keep a
   * host's disk read-only after the failover that makes the port active.
   */
  showsWriteProtect(nexus: Nexus): boolean {
    return this.replication ? this.writeProtected() : this.writeProtectedFor(nexus);
  }

  /**
   * Throws LBA OUT OF RANGE unless [lba, lba+blocks) lies within the medium; returns lba as
   * a number. In number arithmetic (no BigInt per I/O): a medium has fewer than 2^53
   * blocks, and an LBA of 2^53 or more, whether a bigint or a number rounded from a 64-bit
   * CDB field (never below 2^53), is out of range.
   */
  checkRange(lba: number | bigint, blocks: number, lbaField: number): number {
    const n = typeof lba === 'number' ? lba : lba > MAX_SAFE_LBA ? Infinity : Number(lba);
    const count = this.blockCount;
    // With zero blocks the LBA itself must still name a block (SBC-3 §4.5).
    if (!(n <= Number.MAX_SAFE_INTEGER) || n + blocks > count || (blocks === 0 && n >= count)) {
      throw lbaOutOfRange({ inCdb: true, byte: lbaField });
    }
    return n;
  }

  // --- nexus registry -------------------------------------------------------------

  knowsNexus(nexus: Nexus): boolean {
    return this.attentions.knows(nexus);
  }

  /**
   * A nexus this LU has not seen starts with no pending condition, as with LIO: a new
   * login is not a reset, and a stale POWER ON condition would fail its first command.
   */
  attachNexus(nexus: Nexus): void {
    this.attentions.register(nexus);
  }

  /** The nexus is gone: its pending conditions and PREVENT go with it. */
  detachNexus(nexus: Nexus): void {
    this.attentions.forget(nexus);
    this.preventing.delete(nexus.id);
    this.reservations.onNexusLoss(nexus);
    forgetChallengeLists(this, nexus.id);
    this.replicatorFence.clearFor(nexus);
  }

  /** The transport's abort of other nexuses' tasks (ScsiTarget.bindTaskAborter); absent without a transport. */
  private taskAborter: TaskAborter | undefined;

  bindTaskAborter(aborter: TaskAborter | undefined): void {
    this.taskAborter = aborter;
  }

  /**
   * Aborts the tasks of the nexuses `which` selects on this LU as another nexus's action
   * (PREEMPT AND ABORT, SAM-5 §5.6): through the transport, as ABORT TASK SET aborts them;
   * with the Control page's TAS set each completes TASK ABORTED, else without status.
   * Resolves once none of them still runs. Without a transport (the SCSI layer alone),
   * nothing is aborted here: a command admitted before comes to run refused (abortedSince).
   */
  abortTasksOf(which: (nexus: Nexus) => boolean): Promise<void> {
    return this.taskAborter?.abortTasks(this.lun, which, this.abortedTaskAnswer()) ?? Promise.resolve();
  }

  /**
   * What a task here aborted by another I_T nexus's action answers (SAM-5 §5.6): TASK ABORTED
   * with the Control page's TAS set, else undefined (it ends without status).
   */
  abortedTaskAnswer(): ScsiResult | undefined {
    return this.modePages.taskAbortedStatus() ? { status: ScsiStatus.TASK_ABORTED } : undefined;
  }

  /**
   * LOGICAL UNIT RESET (or the LU's share of a target reset). SAM-5 §6.3.3: the unit
   * attention goes to every I_T nexus, the one that asked for the reset included.
   */
  reset(asc: AscPair): void {
    this.preventing.clear();
    this.reservations.onReset();
    this.replicatorFence.clear();
    this.attentions.establish(asc);
  }

  // --- removable medium -----------------------------------------------------------

  isMediumPresent(): boolean {
    return this.mediumPresent;
  }

  /** Throws NOT READY, MEDIUM NOT PRESENT when the medium is ejected. */
  requireMedium(): void {
    if (!this.mediumPresent) {
      throw new SenseError({ key: SenseKey.NOT_READY, asc: Asc.MEDIUM_NOT_PRESENT });
    }
  }

  /** Whether any nexus holds PREVENT MEDIUM REMOVAL. */
  removalPrevented(): boolean {
    return this.preventing.size > 0;
  }

  setPrevent(nexus: Nexus, prevent: boolean): void {
    if (prevent) this.preventing.add(nexus.id);
    else this.preventing.delete(nexus.id);
  }

  /** LOEJ: eject (`load` false) or load the medium; refused while removal is prevented. */
  loadOrEject(load: boolean): void {
    if (this.removalPrevented()) {
      throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.MEDIUM_REMOVAL_PREVENTED });
    }
    this.mediumPresent = load;
  }
}

/** log2(physical / logical), checked: a power of two from 1 to 2^15 logical blocks. */
export function physicalBlockExponent(blockSize: number, physicalBlockSize: number): number {
  const ratio = physicalBlockSize / blockSize;
  const exponent = Math.log2(ratio);
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 15) {
    throw new Error(`physical block size ${physicalBlockSize} is not a power-of-two multiple (up to 2^15) of the block size ${blockSize}`);
  }
  return exponent;
}

/**
 * NAA IEEE Registered Extended (type 6) designator and serial number, derived from what
 * names the LU so they survive restarts. The company ID is a CID-format value (X bit set,
 * i.e. locally assigned) so it can never collide with a real vendor's OUI.
 */
export function deriveIdentity(targetName: string, lun: number, path: string): LuIdentity {
  const h = createHash('sha256').update(`${targetName}\0${lun}\0${path}`).digest();
  const naa = Buffer.alloc(16);
  const companyId = (((h[0]! & 0xf0) | 0x0a) << 16) | (h[1]! << 8) | h[2]!;
  // NAA(4) | COMPANY_ID(24) | VENDOR SPECIFIC IDENTIFIER(36), then a 64-bit extension.
  naa[0] = 0x60 | (companyId >>> 20);
  naa[1] = (companyId >>> 12) & 0xff;
  naa[2] = (companyId >>> 4) & 0xff;
  naa[3] = ((companyId & 0x0f) << 4) | (h[3]! & 0x0f);
  h.copy(naa, 4, 4, 16);
  const serial = h.subarray(16, 24).toString('hex');
  return { naa, serial };
}
