/**
 * A switchover holds host writes for what the hand-over needs (the drain, the demotion made
 * durable, the PROMOTE and its answer) and no longer: clearing the hand-over mark once the
 * peer confirmed is one more durable metadata save, written after the hold ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { Pair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** Metadata whose every save of replication.json takes a second of the pair's clock. */
class SlowRecordFiles extends PowerLossFiles {
  /** The pair's clock when the hand-over mark's clearing began to be saved. */
  clearingStartedAt: number | undefined;
  private handingOver = false;

  constructor(private readonly clock: { now: number }) {
    super();
  }

  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (!to.endsWith('replication.json')) return;
    const record = JSON.parse((await this.readFile(to)).toString()) as { handingOverTo?: string };
    if (this.handingOver && record.handingOverTo === undefined) this.clearingStartedAt ??= this.clock.now;
    this.handingOver = record.handingOverTo !== undefined;
    this.clock.now += 1000;
  }
}

describe.each(['async', 'sync'] as const)('the hold of a switchover (%s mirroring)', (flavour) => {
  it('ends with the confirmed promotion, before the hand-over mark is cleared', async () => {
    pair = new Pair();
    const { a, b } = pair;
    const files = new SlowRecordFiles(pair.clock);
    await files.mkdir(a.metaDir);
    await b.open('backup', { flavour });
    await a.open('primary', { flavour, files });
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    await writeChunks(a.device, [1, 2], 0x41);

    const switchStarted = pair.clock.now;
    const { heldMs } = await a.device.switchover();
    expect(a.device.status()).toMatchObject({ role: 'backup', handingOver: false });
    expect(b.device.status().role).toBe('primary');
    // The hold covered the demotion's save (a second on this clock), not the clearing's.
    expect(heldMs).toBeGreaterThanOrEqual(1000);
    expect(files.clearingStartedAt).toBeDefined();
    expect(switchStarted + heldMs).toBeLessThanOrEqual(files.clearingStartedAt!);
  });
});
