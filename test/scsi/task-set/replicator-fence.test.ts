/**
 * The replicator's fence on a backup's LU: once a command of the primary's replica stream
 * fails (or is aborted, or dropped before it ran), the replicator's later commands end TASK
 * ABORTED without running — a batch the primary pipelined before it learnt of the failure
 * must not land without the failed one — until the replicator clears its task set (ABORT
 * TASK SET, CLEAR TASK SET), a reset, or the loss of its nexus. Hosts are not affected, and
 * a failed command outside the stream (a read) fences nothing.
 */
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../../src/block/device.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { ScsiStatus, TaskAttribute, type Nexus } from '../../../src/scsi/types.js';
import { TARGET, cdbOf, freshMetaDir, nexus } from '../helpers.js';

const BLOCK = 512;
const BAD_LBA = 7;
const BLOCKS = 1024;

/** A store whose writes to one block fail as a disk's would. */
class FailingBlockStore extends MemoryBlockStore {
  override async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    if (offset <= BAD_LBA * BLOCK && BAD_LBA * BLOCK < offset + buf.length) throw new BlockIoError('EIO', 5, 'write failed');
    return super.write(buf, offset, fua);
  }
}

const write10 = (lba: number) => [0x2a, 0, (lba >>> 24) & 0xff, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, 0, 1, 0];
const READ_10_BEYOND = [0x28, 0, 0, 0, 0x10, 0, 0, 0, 1, 0];
const TEST_UNIT_READY = [0x00];

async function setup() {
  const replicator = nexus(2);
  const host = nexus(1);
  const store = new FailingBlockStore({ size: BLOCKS * BLOCK });
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize: BLOCK, metaDir: freshMetaDir(), replicator: (n) => n.id === replicator.id });
  const target = new ScsiTarget(TARGET, [lu]);
  for (const who of [host, replicator]) {
    target.nexusSeen(who);
    await target.prepare({ nexus: who, lun: 0, cdb: cdbOf(TEST_UNIT_READY), expectedLength: 0, read: false, write: false, taskAttribute: 0 }).run(undefined);
  }
  const prepare = (who: Nexus, cdb: number[], attribute: number = TaskAttribute.SIMPLE) =>
    target.prepare({ nexus: who, lun: 0, cdb: cdbOf(cdb), expectedLength: cdb[0] === 0x2a ? BLOCK : 0, read: cdb[0] === 0x28, write: cdb[0] === 0x2a, taskAttribute: attribute });
  const status = async (who: Nexus, cdb: number[], fill = 0, attribute?: number) => {
    const p = prepare(who, cdb, attribute);
    const r = await p.run(p.dataOutLength > 0 ? Buffer.alloc(p.dataOutLength, fill) : undefined);
    return r.status;
  };
  const blockHolds = async (lba: number, fill: number) => {
    const b = Buffer.alloc(BLOCK);
    await store.read(b, lba * BLOCK);
    return b.every((x) => x === fill);
  };
  return { target, host, replicator, prepare, status, blockHolds };
}

describe("the replicator's fence", () => {
  it("a failed replica-stream write refuses the replicator's later commands until it clears its task set; hosts go on", async () => {
    const { target, host, replicator, status, blockHolds } = await setup();
    expect(await status(replicator, write10(BAD_LBA), 1)).toBe(ScsiStatus.CHECK_CONDITION);
    // A later batch (its first write ORDERED), as if it arrived after the failure: refused, not written.
    expect(await status(replicator, write10(3), 2, TaskAttribute.ORDERED)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await status(replicator, write10(4), 2)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await status(replicator, TEST_UNIT_READY)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await blockHolds(3, 0)).toBe(true);
    expect(await blockHolds(4, 0)).toBe(true);
    // A host is not the replicator: its commands run.
    expect(await status(host, write10(5), 3)).toBe(ScsiStatus.GOOD);
    expect(await blockHolds(5, 3)).toBe(true);
    // Another nexus clearing its own task set does not lift the replicator's fence.
    target.taskSetCleared(0, host, []);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.TASK_ABORTED);
    // The replicator's ABORT TASK SET: it knows of the failure, its commands run again.
    target.taskSetCleared(0, replicator, []);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
    expect(await blockHolds(3, 2)).toBe(true);
  });

  it('is lifted by the loss of the nexus and by a logical unit reset', async () => {
    const { target, replicator, status } = await setup();
    expect(await status(replicator, write10(BAD_LBA), 1)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(replicator, TEST_UNIT_READY)).toBe(ScsiStatus.TASK_ABORTED);
    target.nexusLost(replicator);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
    expect(await status(replicator, write10(BAD_LBA), 1)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(replicator, TEST_UNIT_READY)).toBe(ScsiStatus.TASK_ABORTED);
    target.lunReset(0, replicator);
    // The reset's unit attention comes first, and ends that write in CHECK CONDITION (fencing again).
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.CHECK_CONDITION);
    target.taskSetCleared(0, replicator, []);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
  });

  it('is raised by a stream command refused before it ran, and by one dropped before its data came', async () => {
    const { target, replicator, prepare, status } = await setup();
    // Beyond the capacity: refused while being prepared, and fenced at once — the next command
    // of the same socket read is prepared before either runs.
    const refused = prepare(replicator, write10(BLOCKS + 1));
    const next = prepare(replicator, write10(3), TaskAttribute.ORDERED);
    expect((await refused.run(Buffer.alloc(BLOCK, 1))).status).toBe(ScsiStatus.CHECK_CONDITION);
    expect((await next.run(Buffer.alloc(BLOCK, 2))).status).toBe(ScsiStatus.TASK_ABORTED);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.TASK_ABORTED);
    target.taskSetCleared(0, replicator, []);
    prepare(replicator, write10(3)).drop?.();
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.TASK_ABORTED);
  });

  it('is not raised by a command admitted before the replicator cleared its task set or was lost, failing after that', async () => {
    const { target, replicator, prepare, status } = await setup();
    // Admitted, then its session ends (the task is aborted as it goes), then it settles: the new session is not fenced.
    const admitted = prepare(replicator, write10(BAD_LBA));
    const dropped = prepare(replicator, write10(9));
    target.nexusLost(replicator);
    expect((await admitted.run(Buffer.alloc(BLOCK, 1))).status).toBe(ScsiStatus.CHECK_CONDITION);
    dropped.drop?.();
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
    // The same after its ABORT TASK SET.
    const beforeClear = prepare(replicator, write10(BAD_LBA));
    target.taskSetCleared(0, replicator, []);
    expect((await beforeClear.run(Buffer.alloc(BLOCK, 1))).status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
    // Admitted after the clear: it fences.
    expect(await status(replicator, write10(BAD_LBA), 1)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.TASK_ABORTED);
  });

  it("is not raised by a failed command outside the stream, nor by a host's failed write", async () => {
    const { host, replicator, status } = await setup();
    expect(await status(replicator, READ_10_BEYOND)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(host, write10(BAD_LBA), 1)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await status(replicator, write10(3), 2)).toBe(ScsiStatus.GOOD);
  });
});
