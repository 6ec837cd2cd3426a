/**
 * The activity log: an extent is durably hot before a write to it may proceed (also when
 * another write made it hot a moment ago and its persist is still in flight), it survives a
 * reopen, a torn copy leaves the previous set, and cold extents leave only over capacity,
 * least recently used first, after the delta table's marks are durable (and not when a
 * write took the extent again meanwhile).
 */
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFiles, type DurableFile, type DurableFiles } from '../../../src/block/durable-file.js';
import { ACTIVITY_LOG_FILE, ActivityLog } from '../../../src/replication/activity-log.js';
import { tempMetaDir } from '../temp-meta.js';

const EXTENT = 64 * 1024;
const VOLUME = 64 * EXTENT;

/** node:fs whose datasyncs wait, while held, until released: a test sees what waits for them. */
class GatedFiles {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  waiting = 0;
  readonly files: DurableFiles = {
    ...nodeFiles,
    open: async (path, flags, mode) => {
      const fh = await nodeFiles.open(path, flags, mode);
      const wrapped = Object.create(fh) as DurableFile;
      wrapped.datasync = async () => {
        while (this.gate) {
          this.waiting++;
          await this.gate;
          this.waiting--;
        }
        return fh.datasync();
      };
      return wrapped;
    },
  };

  hold(): void {
    this.gate ??= new Promise((r) => (this.open = r));
  }

  release(): void {
    this.gate = undefined;
    this.open?.();
  }
}

describe('activity log', () => {
  it('a write to an extent another write just made hot waits for the same durable update', async () => {
    const dir = tempMetaDir();
    const g = new GatedFiles();
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, files: g.files });
    g.hold();
    const first = log.acquire(0, 4096);
    const second = log.acquire(8192, 4096);
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBeInstanceOf(Promise);
    let secondDone = false;
    void second!.then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(g.waiting).toBe(1);
    expect(secondDone).toBe(false);
    g.release();
    await Promise.all([first, second]);
    // Hot and durable now: a third write costs nothing.
    expect(log.acquire(0, 512)).toBeUndefined();
    await log.close();
  });

  it('the hot set survives a reopen; released extents stay until evicted', async () => {
    const dir = tempMetaDir();
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT });
    await log.acquire(3 * EXTENT, 4096);
    await log.acquire(10 * EXTENT - 512, 1024); // spans extents 9 and 10
    log.release(3 * EXTENT, 4096);
    await log.close();
    const again = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT });
    expect([...again.recovered].sort((a, b) => a - b)).toEqual([3, 9, 10]);
    expect(again.lost).toBe(false);
    await again.close();
  });

  it('cleared, it durably drops every extent no write holds, recovered ones too, after the delta table is made durable', async () => {
    const dir = tempMetaDir();
    await (async () => {
      const first = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT });
      await first.acquire(7 * EXTENT, 4096);
      await first.close();
    })();
    let tableDurable = 0;
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, beforeEvict: async () => void tableDurable++ });
    expect([...log.recovered]).toEqual([7]);
    await log.acquire(3 * EXTENT, 4096);
    await log.acquire(5 * EXTENT, 4096);
    log.release(3 * EXTENT, 4096);
    await log.clear();
    expect(tableDurable).toBeGreaterThan(0);
    expect(log.hotExtents).toBe(1);
    await log.close();
    const again = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT });
    expect([...again.recovered]).toEqual([5]);
    await again.close();
  });

  it('a torn newest copy leaves the previous set; two torn copies say the set is lost', async () => {
    const dir = tempMetaDir();
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 4 });
    await log.acquire(1 * EXTENT, 1); // copy 1: {1}
    await log.acquire(2 * EXTENT, 1); // copy 2: {1, 2}
    await log.close();
    const path = join(dir, ACTIVITY_LOG_FILE);
    const slot = readFileSync(path).length / 2;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 32); // the first extent number of the copy in slot 0 (sequence 2)
    closeSync(fd);
    const previous = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 4 });
    expect(previous.recovered).toEqual([1]);
    await previous.close();
    const fd2 = openSync(path, 'r+');
    writeSync(fd2, Buffer.from([0xff]), 0, 1, slot + 32);
    closeSync(fd2);
    const lost = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 4 });
    expect(lost.lost).toBe(true);
    expect(lost.recovered).toEqual([]);
    await lost.close();
  });

  it('over capacity, the least recently used cold extents leave, after the delta table is made durable', async () => {
    const dir = tempMetaDir();
    const order: string[] = [];
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 2, beforeEvict: async () => void order.push('table persisted') });
    for (const e of [0, 1]) {
      await log.acquire(e * EXTENT, 1);
      log.release(e * EXTENT, 1);
    }
    await log.acquire(0, 1); // 0 used again: 1 is now the least recently used
    log.release(0, 1);
    await log.acquire(5 * EXTENT, 1);
    order.push('acquired 5');
    expect(order).toEqual(['table persisted', 'acquired 5']);
    await log.close();
    const again = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 2 });
    expect([...again.recovered].sort((a, b) => a - b)).toEqual([0, 5]);
    await again.close();
  });

  it('an extent a write still holds never leaves; past twice the capacity a new one waits for a release', async () => {
    const dir = tempMetaDir();
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 1 });
    await log.acquire(0, 1);
    await log.acquire(EXTENT, 1);
    let third = false;
    const waiting = log.acquire(2 * EXTENT, 1)!.then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    log.release(0, 1);
    await waiting;
    expect(third).toBe(true);
    await log.close();
    const again = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 1 });
    expect([...again.recovered].sort((a, b) => a - b)).toEqual([1, 2]);
    await again.close();
  });

  it('an extent written while it is being dropped stays in the log', async () => {
    const dir = tempMetaDir();
    let tableDurable!: () => void;
    let dropping = false;
    const beforeEvict = () => {
      dropping = true;
      return new Promise<void>((r) => (tableDurable = r));
    };
    const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 1, beforeEvict });
    await log.acquire(0, 1);
    log.release(0, 1);
    // Over capacity: extent 0 (cold) leaves once the delta table is durable.
    const second = log.acquire(EXTENT, 1);
    expect(dropping).toBe(true);
    // Meanwhile a write to 0 finds it still in the durable set and goes ahead at once.
    expect(log.acquire(0, 1)).toBeUndefined();
    tableDurable();
    await second;
    // A crash now: the file must still hold 0, whose write may not be on the backup.
    const after = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 1 });
    expect(after.recovered).toContain(0);
    await after.close();
    await log.close();
  });
});
