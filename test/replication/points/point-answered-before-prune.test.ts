/**
 * The backup's answer to REPLICATION CONTROL / POINT (BackupPoints.take) comes once the point
 * is durable and listed, not after the retention prune that follows it: a prune of a middle
 * point may move GBs, longer than the primary's command timeout (linkTimeoutMs, 5 s), and a
 * timed-out POINT is a link failure to the primary although the backup took the point. The
 * prune runs after the answer, in the store's queue (a close waits for it), its failure
 * logged.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HostWriteOrder } from '../../../src/replication/host-write-order.js';
import { BackupPoints, type PointImages } from '../../../src/replication/points/backup-points.js';
import { openLun, reopen, silentLogger } from './point-harness.js';

const SIZE = 1024 * 1024;

/** The LUN's store with its retention held until `release` is called (a prune that moves a lot). */
function slowRetention(real: PointImages): { store: PointImages; entered: Promise<void>; release: () => void; done: Promise<void>; events: string[] } {
  const events: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  let done!: () => void;
  const doneP = new Promise<void>((r) => (done = r));
  const store = Object.create(real) as PointImages;
  store.applyRetention = async (...args) => {
    events.push('prune-started');
    entered();
    await released;
    const pruned = await real.applyRetention(...args);
    events.push('prune-done');
    done();
    return pruned;
  };
  return { store, entered: enteredP, release, done: doneP, events };
}

describe('the answer to POINT', () => {
  it('comes once the point is durable, before the prune after it', async () => {
    const lun = await openLun(SIZE);
    try {
      const slow = slowRetention(lun.points);
      const points = new BackupPoints(slow.store, new HostWriteOrder(), () => true, silentLogger);
      const answered = points.take({ id: 1, at: 1, origin: 'scheduled' }).then(() => slow.events.push('answered'));
      await slow.entered;
      // Released only after every reaction pending now ran (a macrotask turn): the answer, if it does not wait for the prune.
      setImmediate(slow.release);
      await answered;
      await slow.done;
      expect(slow.events).toEqual(['prune-started', 'answered', 'prune-done']);
    } finally {
      await lun.cleanup();
    }
  });

  it('prunes after the answer, a close waiting for it, and a failed prune is logged', async () => {
    const lun = await openLun(SIZE);
    try {
      const points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 1, hourly: 0, daily: 0 });
      await points.take({ id: 1, at: 1, origin: 'scheduled' });
      await points.take({ id: 2, at: 2, origin: 'scheduled' });
      // Closed right after the answer: the prune of point 1 was queued before it, and runs before the close.
      await lun.points.close();
      await reopen(lun);
      expect(lun.points.list().map((p) => p.id)).toEqual([2]);

      const errors: string[] = [];
      const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push((JSON.parse(line) as { event: string }).event) });
      const failing = Object.create(lun.points) as PointImages;
      failing.applyRetention = () => Promise.reject(new Error('disk failed'));
      const logged = new BackupPoints(failing, new HostWriteOrder(), () => true, logger);
      // Answered, the point kept; the prune's rejection is caught (an unhandled one fails the run) and logged.
      await logged.take({ id: 3, at: 3, origin: 'scheduled' });
      await new Promise<void>((r) => setImmediate(r));
      expect(errors).toEqual(['points-prune-failed']);
      expect(lun.points.list().map((p) => p.id)).toEqual([2, 3]);
    } finally {
      await lun.cleanup();
    }
  });
});
