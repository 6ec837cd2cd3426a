/**
 * Runs delta passes from a copy-on-write snapshot: the chunk set and the snapshot are
 * taken with host writes held for a moment, so no write is half-way between marking its
 * chunk and changing the image when the pass's point in time is fixed. Passes are staged
 * on the backup (applied whole) once it holds a first full copy.
 */
import type { BlockDevice } from '../block/device.js';
import type { DurableFiles } from '../block/durable-file.js';
import type { Logger } from '../util/log.js';
import { RecurringFailure } from '../util/recurring-failure.js';
import { runDeltaPass, type DeltaPassResult } from './delta-pass.js';
import { PassPace } from './pass-pace.js';
import type { DeltaTable } from './delta-table.js';
import type { HostWriteOrder } from './host-write-order.js';
import type { ChunkSet } from './chunk-set.js';
import { PassSnapshot } from './pass-snapshot.js';
import type { RecoveryPointAge } from './recovery-point-age.js';
import type { ReplicaLink } from './replica-link.js';
import type { VolumeState } from './volume-state.js';

/** What started a delta pass (in its log event). */
export type PassTrigger = 'admin' | 'interval' | 'low-traffic' | 'catch-up' | 'final' | 'point';

/** A pass's point in time, fixed: the chunks it copies and the snapshot it reads them from. */
export interface FrozenPass {
  /** Copied from the delta table's bitmap (under the hold: a page at a time, not a chunk). */
  chunks: ChunkSet;
  snapshot: PassSnapshot;
  /** When it was fixed (the engine's clock). */
  at: number;
}

/** The last failed pass, when none completed since: when, what started it and why it failed. */
export interface PassFailure {
  at: number;
  trigger: PassTrigger;
  error: string;
}

export type PassProgress = (doneChunks: number, totalChunks: number) => void;

export interface PassRunnerParts {
  local: BlockDevice;
  link: ReplicaLink;
  metaDir: string;
  files: DurableFiles;
  table: DeltaTable;
  order: HostWriteOrder;
  volume: VolumeState;
  age: RecoveryPointAge;
  clock: () => number;
  log: Logger;
  onPassCommitted?(trigger: PassTrigger): void;
}

export class PassRunner {
  /** The next pass challenges before copying (after recovery or lost tracking). */
  suspect: boolean;
  lastPassAt: number;
  lastPass: (DeltaPassResult & { at: number }) | undefined;
  /** Why the passes since the last one that completed failed (a full replica fails each retry alike). */
  private lastFailure: PassFailure | undefined;
  private readonly failures: RecurringFailure;
  /** The link's pace as the passes find it: how much each keeps in flight. */
  private readonly pace = new PassPace();

  constructor(
    private readonly parts: PassRunnerParts,
    suspect: boolean,
  ) {
    this.suspect = suspect;
    this.lastPassAt = parts.clock();
    this.failures = new RecurringFailure(parts.log, 'delta-pass-failed', 'delta pass', 'warn');
  }

  /**
   * Fixes a pass's point in time: the caller holds host writes (alone, or with other
   * volumes' for a consistency group). The scratch is opened before (no I/O under the hold).
   */
  freeze(scratch: BlockDevice): FrozenPass {
    const { local, files, table, order, clock } = this.parts;
    const chunks = table.markedSet();
    table.beginCopy(chunks);
    order.snapshot = new PassSnapshot(local, scratch, table.chunkSize, chunks, files);
    return { chunks, snapshot: order.snapshot, at: clock() };
  }

  openScratch(): Promise<BlockDevice> {
    const { local, metaDir, files } = this.parts;
    return PassSnapshot.openScratch(metaDir, local.size, files);
  }

  /** A scratch no pass took (its recovery point's instant was never fixed). */
  closeScratch(scratch: BlockDevice): Promise<void> {
    return PassSnapshot.closeScratch(scratch, this.parts.files);
  }

  /** What status says of the passes: the last complete one, and why those since failed. */
  report(): { lastPass: PassRunner['lastPass']; passFailure: PassFailure | undefined } {
    return { lastPass: this.lastPass, passFailure: this.lastFailure };
  }

  /** A pass failed: status says why until one completes; the log says so once per distinct reason. */
  failed(trigger: PassTrigger, error: string): void {
    this.failures.failed(error, { trigger });
    this.lastFailure = { at: this.parts.clock(), trigger, error };
  }

  /**
   * A pass: its point in time fixed now (host writes held for a moment), or the one given.
   * `ready` throws unless the pass may go: checked first, inside the pass's one clean-up, so
   * a pass frozen already that may not go is taken down as any failed one is.
   */
  async run(onProgress: PassProgress | undefined, trigger: PassTrigger, ready: () => Promise<void>, frozen?: FrozenPass): Promise<DeltaPassResult & { at: number }> {
    const { link, table, order, volume, age, clock, log } = this.parts;
    let fixed = frozen;
    let result: DeltaPassResult;
    let compare: boolean;
    try {
      await ready();
      compare = this.suspect;
      // The first full copy has no earlier image on the backup worth keeping: it is not staged.
      const staged = volume.identity.replicaSynced;
      if (!fixed) {
        const scratch = await this.openScratch();
        fixed = await order.holding(async () => this.freeze(scratch));
      }
      result = await runDeltaPass(table, fixed.chunks, fixed.snapshot, link, { compare, staged, pace: this.pace, ...(onProgress ? { onProgress } : {}) });
    } finally {
      if (fixed) await this.takeDown(fixed);
    }
    const { snapshot, chunks } = fixed;
    this.suspect = false;
    this.lastFailure = undefined;
    this.failures.succeeded();
    this.lastPassAt = clock();
    // A pass with nothing to copy (a recovery point's, taken with nothing dirty) is not what
    // status calls the last pass: that stays the last one that moved the backup on.
    if (chunks.size > 0 || !this.lastPass) this.lastPass = { ...result, at: this.lastPassAt };
    if (table.dirtyChunks === 0) age.cleaned();
    // The pass copied every chunk marked at its instant: the backup holds a whole image of it, the
    // table what changed since. Recorded only once nothing was dirty, a first sync the host wrote
    // during left every later pass unstaged (cut short, it left the backup a mix of two instants).
    if (!volume.identity.replicaSynced) await volume.update(() => ({ replicaSynced: true }));
    log.info({ event: 'delta-pass', trigger, compare, ...result, preservedChunks: snapshot.preservedChunks, dirtyAfter: table.dirtyChunks }, compare ? 'resync pass' : 'delta pass');
    // A staged pass is applied whole at commit: the backup holds the image of its instant.
    // A point's own pass is followed by its point already.
    if (result.staged && trigger !== 'point') this.parts.onPassCommitted?.(trigger);
    return { ...result, at: fixed.at };
  }

  /**
   * Every frozen pass's end, whether it ran or not: its snapshot leaves the image. A pass that
   * never ran leaves its chunks marked (runDeltaPass ends the copy of one that ran either way,
   * so ending it here again changes nothing: passes do not overlap).
   */
  private async takeDown({ snapshot }: FrozenPass): Promise<void> {
    const { table, order } = this.parts;
    table.endCopy(false);
    if (order.snapshot === snapshot) order.snapshot = undefined;
    await snapshot.close();
  }
}
