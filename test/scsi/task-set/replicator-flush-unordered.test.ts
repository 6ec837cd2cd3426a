/**
 * The replicating primary's SIMPLE SYNCHRONIZE CACHE (a confirmation) runs outside the task
 * set: it does not wait for an older ORDERED task, and an ORDERED task sent after it does
 * not wait for it (a confirmation's long flush must not stall the batches pipelined behind
 * it). A host's SYNCHRONIZE CACHE keeps SAM's ordering, and so does the replicator's ORDERED
 * one (its barrier between two host epochs in the pipeline).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { ScsiStatus, TaskAttribute, type Nexus } from '../../../src/scsi/types.js';
import { TARGET, cdbOf, freshMetaDir, nexus } from '../helpers.js';
import { GATED, gatedCommands } from './gated-commands.js';

const SYNCHRONIZE_CACHE_10 = [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** A store whose flushes complete only when the test says so. */
class GatedFlushStore extends MemoryBlockStore {
  readonly pending: Array<() => void> = [];
  override async flush(): Promise<void> {
    await new Promise<void>((resolve) => this.pending.push(resolve));
    return super.flush();
  }
}

async function setup() {
  const { descriptor: gated, events, open } = gatedCommands();
  const replicator = nexus(2);
  const store = new GatedFlushStore({ size: 1024 * 512 });
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize: 512, metaDir: freshMetaDir(), replicator: (n) => n.id === replicator.id });
  const target = new ScsiTarget(TARGET, [lu], { extraCommands: [gated] });
  for (const who of [nexus(1), replicator]) {
    target.nexusSeen(who);
    await target.prepare({ nexus: who, lun: 0, cdb: cdbOf([0x00]), expectedLength: 0, read: false, write: false, taskAttribute: 0 }).run(undefined);
  }
  const run = (cdb: number[], attribute: number, who: Nexus) =>
    target.prepare({ nexus: who, lun: 0, cdb: cdbOf(cdb), expectedLength: 0, read: false, write: false, taskAttribute: attribute }).run(undefined).then((r) => r.status);
  const flush = (who: Nexus, attribute: number = TaskAttribute.SIMPLE) => {
    const done = run(SYNCHRONIZE_CACHE_10, attribute, who).then((status) => {
      events.push('flushed');
      return status;
    });
    return done;
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { events, open, store, run, flush, settle, host: nexus(1), replicator };
}

describe("the replicator's SYNCHRONIZE CACHE", () => {
  it('runs beside an older ORDERED task, and an ORDERED task after it does not wait for it', async () => {
    const { events, open, store, run, flush, settle, replicator } = await setup();
    const first = run([GATED, 1], TaskAttribute.ORDERED, replicator);
    const flushed = flush(replicator);
    const second = run([GATED, 2], TaskAttribute.ORDERED, replicator);
    await settle();
    // The flush started at once (its store flush is pending) although task 1 has not completed.
    expect(store.pending).toHaveLength(1);
    expect(events).toEqual(['start 1']);
    open(1);
    await settle();
    // Task 2 (ORDERED) starts once task 1 completed, with the flush still in progress.
    expect(events).toEqual(['start 1', 'end 1', 'start 2']);
    open(2);
    store.pending.shift()!();
    expect(await Promise.all([first, flushed, second])).toEqual([ScsiStatus.GOOD, ScsiStatus.GOOD, ScsiStatus.GOOD]);
  });

  for (const [whose, attribute] of [
    ["a host's SIMPLE one", TaskAttribute.SIMPLE],
    ["the replicator's ORDERED one", TaskAttribute.ORDERED],
  ] as const) {
    it(`${whose} keeps SAM's ordering: it waits for the older ORDERED task, and a newer ORDERED task waits for it`, async () => {
      const { events, open, store, run, flush, settle, host, replicator } = await setup();
      const who = attribute === TaskAttribute.SIMPLE ? host : replicator;
      const first = run([GATED, 1], TaskAttribute.ORDERED, who);
      const flushed = flush(who, attribute);
      const second = run([GATED, 2], TaskAttribute.ORDERED, who);
      await settle();
      expect(store.pending).toHaveLength(0);
      open(1);
      await settle();
      // The flush runs now; task 2 still waits for it.
      expect(store.pending).toHaveLength(1);
      expect(events).toEqual(['start 1', 'end 1']);
      store.pending.shift()!();
      await settle();
      expect(events.filter((e) => e !== 'flushed')).toEqual(['start 1', 'end 1', 'start 2']);
      open(2);
      expect(await Promise.all([first, flushed, second])).toEqual([ScsiStatus.GOOD, ScsiStatus.GOOD, ScsiStatus.GOOD]);
    });
  }
});
