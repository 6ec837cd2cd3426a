/**
 * Sends the staging journal to the backup: durable, locally applied entries in sequence
 * order, in batches the AsyncMirror forms; then both sides are made durable and the batch
 * is trimmed, because recovery replays only what is left in the journal.
 */
import type { BlockDevice } from '../block/device.js';
import type { AsyncMirror } from './async-mirror.js';
import { RateMeter } from './rate-meter.js';
import type { ReplicaLink } from './replica-link.js';
import type { StagingJournal } from './staging-journal.js';

export class JournalShipper {
  /** Bytes shipped, for the overflow criterion. */
  readonly shippedRate = new RateMeter();
  private running: Promise<void> | undefined;

  constructor(
    private readonly mirror: AsyncMirror,
    private readonly journal: StagingJournal,
    private readonly link: ReplicaLink,
    private readonly local: BlockDevice,
    /** Whether shipping is wanted now (continuous async mirroring, engine open). */
    private readonly active: () => boolean,
    /** Whether a batch the backup holds may still be trimmed (continuous mirroring, even while closing). */
    private readonly continuous: () => boolean,
    private readonly onLinkFailure: (detail: string) => void,
  ) {}

  kick(): void {
    if (this.running || !this.active()) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // Entries applied while the loop was finding nothing to do.
      if (this.active() && this.journal.length > 0 && this.mirror.nextBatch().length > 0) this.kick();
    });
  }

  /** Resolves once the loop in progress, if any, has stopped. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (this.active()) {
      const batch = this.mirror.nextBatch();
      if (batch.length === 0) return;
      try {
        const datas = await Promise.all(batch.map((e) => (e.discard ? undefined : this.journal.readData(e))));
        await Promise.all(batch.map((e, i) => (e.discard ? this.link.discard(e.offset, e.length) : this.link.write(datas[i]!, e.offset, false))));
        await Promise.all([this.link.flush(), this.local.flush()]);
      } catch (e) {
        this.onLinkFailure((e as Error).message);
        return;
      }
      if (!this.continuous()) return;
      await this.journal.trimThrough(batch[batch.length - 1]!.seq);
      this.mirror.shipped(batch);
      for (const e of batch) if (!e.discard) this.shippedRate.add(e.length);
    }
  }
}
