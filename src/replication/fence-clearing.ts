/**
 * The primary's side of the backup's replicator fence (scsi/replicator-fence.ts). Once a
 * replica-stream command (a write, an UNMAP, a flush) fails, the backup refuses this nexus's
 * later commands. The fence is lifted only when every command sent before the failure was
 * known has settled — each refused there, or run before the failure — with ABORT TASK SET;
 * commands issued meanwhile wait for that. So a command the primary issued before it learnt
 * of a failure (a batch pipelined behind the failed one) never runs after it on the backup —
 * nor on the backup's next session after a connection loss: the commands in flight when the
 * failure is known are not re-issued.
 */
import type { Logger } from 'pino';

export class FenceClearing {
  private inFlight = 0;
  /** Clears begun: a command sent before one began is covered by it. */
  private clears = 0;
  private clearing: Promise<void> | undefined;
  private allSettled: (() => void) | undefined;

  constructor(
    private readonly session: {
      /** ABORT TASK SET on the replica's LUN. */
      clear(): Promise<void>;
      /** The commands in flight are not issued again after a connection loss (the next nexus has no fence). */
      stopReissues(): void;
    },
    private readonly log: Logger,
  ) {}

  /** Whether a clear is pending (commands wait for it). */
  get pending(): boolean {
    return this.clearing !== undefined;
  }

  /** Runs `op` once no clear is pending. `stream`: the backup fences this nexus if it fails. */
  async run<T>(op: () => Promise<T>, stream: boolean): Promise<T> {
    while (this.clearing) await this.clearing;
    const seen = this.clears;
    this.inFlight++;
    try {
      return await op();
    } catch (e) {
      if (stream && seen === this.clears) {
        this.session.stopReissues();
        this.clearing = this.clearOnceSettled();
      }
      throw e;
    } finally {
      if (--this.inFlight === 0) this.allSettled?.();
    }
  }

  private async clearOnceSettled(): Promise<void> {
    this.clears++;
    try {
      // This command's own count goes as it settles, just after this.
      await new Promise<void>((resolve) => (this.allSettled = resolve));
      this.allSettled = undefined;
      await this.session.clear();
      this.log.info({ event: 'replicator-fence-cleared' }, 'a replica-stream command failed: the backup fenced the later ones; its fence is cleared');
    } catch (e) {
      // The nexus may be gone (its loss lifts the fence too); a fence still up fails the next stream command, which clears again.
      this.log.warn({ err: e }, "clearing the backup's replicator fence failed");
    } finally {
      this.clearing = undefined;
    }
  }
}
