/**
 * The replicator's fence, on a backup's logical unit: once a command of the primary's
 * replica stream (a write, an UNMAP, a SYNCHRONIZE CACHE) fails or is aborted, every later
 * command from the replicator's nexus ends TASK ABORTED without running, until the replicator
 * clears the condition with ABORT TASK SET or CLEAR TASK SET, a reset clears it, or the
 * nexus is lost.
 *
 * Why: the primary pipelines batches that must apply in order. The task set aborts the
 * tasks it already holds behind a failed one, but a batch still on the wire when the failure
 * happens arrives afterwards and would run: the backup would hold a later batch without the
 * failed one, a state the primary's host never saw (not a prefix of its history). The
 * primary clears the fence once it knows of the failure, so only commands it sent before
 * knowing are refused. SAM's ACA (NACA=1) is the general mechanism; this is the same idea
 * kept to the one nexus that needs it, with no NACA support to offer hosts.
 */
import { moduleLogger } from '../util/log.js';
import { ScsiStatus, type Nexus, type PreparedCommand, type ScsiResult } from './types.js';

const log = moduleLogger('scsi');

export class ReplicatorFence {
  private raisedFor: string | undefined;
  /** Clears by the replicator, and resets: a command admitted before one does not raise the fence when it fails after it. */
  private clears = 0;

  /** Which nexuses are the replicator's (a host's clears and losses change nothing here). */
  constructor(private readonly isReplicator: (nexus: Nexus) => boolean) {}

  /** Stamps a command as it is admitted; its failure counts only if no clear came since (raise). */
  get generation(): number {
    return this.clears;
  }

  /**
   * A replica-stream command from `nexus`, admitted at `admitted`, failed. One admitted before
   * the nexus cleared its task set or was lost (aborted by that, settling after it) raises
   * nothing: the replicator's commands after the clear are its answer to the failure.
   */
  raise(nexus: Nexus, admitted: number): void {
    if (admitted !== this.clears || this.raisedFor === nexus.id) return;
    log.warn({ event: 'replicator-fenced', nexus: nexus.id }, "a replica-stream command failed: the replicator's later commands are refused until it clears its task set");
    this.raisedFor = nexus.id;
  }

  /** Whether a command from `nexus` is refused now. */
  refuses(nexus: Nexus): boolean {
    return this.raisedFor === nexus.id;
  }

  /** `nexus` cleared its task set, or it is gone: its fence goes (others' stay). */
  clearFor(nexus: Nexus): void {
    if (!this.isReplicator(nexus)) return;
    this.clears++;
    if (this.raisedFor === nexus.id) this.raisedFor = undefined;
  }

  /** A logical unit or target reset. */
  clear(): void {
    this.clears++;
    this.raisedFor = undefined;
  }
}

/** `prepared`, raising `fence` for `nexus` unless it ends GOOD (failed, aborted, or dropped before it ran). */
export function fencedOnFailure(prepared: PreparedCommand, fence: ReplicatorFence, nexus: Nexus): PreparedCommand {
  const admitted = fence.generation;
  // Refused while being prepared: fenced at once, before the next command in the same read is prepared.
  if (prepared.outcome) {
    if (prepared.outcome.status !== ScsiStatus.GOOD) fence.raise(nexus, admitted);
    return prepared;
  }
  const raiseUnlessGood = (r: ScsiResult): ScsiResult => {
    if (r.status !== ScsiStatus.GOOD) fence.raise(nexus, admitted);
    return r;
  };
  const raiseAndThrow = (e: unknown): never => {
    fence.raise(nexus, admitted);
    throw e;
  };
  return {
    dataOutLength: prepared.dataOutLength,
    ...(prepared.dataInLength ? { dataInLength: prepared.dataInLength } : {}),
    run: (dataOut, hold) => prepared.run(dataOut, hold).then(raiseUnlessGood, raiseAndThrow),
    ...(prepared.abandon ? { abandon: () => prepared.abandon!() } : {}),
    drop: () => {
      fence.raise(nexus, admitted);
      prepared.drop?.();
    },
  };
}
