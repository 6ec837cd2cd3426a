/**
 * A device that keeps a write's bytes after acknowledging it (an asynchronous mirror's send
 * queue) gets the command's pooled Data-Out buffer with a hold, keeps it with retain() and
 * lets go once the bytes are shipped. Through the real target path (socket reads, landing,
 * the SCSI layer, WRITE): writes queued for the backup, then many more writes that take
 * buffers from the same pool, then shipping: the backup's image equals the primary's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { UNPOOLED_HOLD, ioBufferPool, type BufferHold } from '../../../src/util/buffer-pool.js';
import { MemoryConnection, wire } from './helpers/memory-connection.js';
import { push, stream } from './helpers/write-stream.js';

const BLOCK = 512;
const KiB = 1024;
const VOLUME = 16 * 1024 * KiB;
const TARGET = 'iqn.2026-01.test:queued-mirror';

/** Acknowledges once the primary has the bytes; the backup gets them when ship() runs, in order. */
class QueueingMirror extends MemoryBlockStore {
  readonly backup = new MemoryBlockStore({ size: VOLUME });
  private queue: Array<{ data: Buffer; offset: number; release: () => void }> = [];
  /** Writes that came with a pooled buffer's hold and were kept without a copy. */
  keptInPlace = 0;

  override async write(buf: Buffer, offset: number, fua = false, hold?: BufferHold): Promise<void> {
    await super.write(buf, offset, fua);
    // The bytes outlive this call: keep the buffer itself under a hold, or a copy without one.
    if (hold && hold !== UNPOOLED_HOLD) this.keptInPlace++;
    this.queue.push(hold ? { data: buf, offset, release: hold.retain() } : { data: Buffer.from(buf), offset, release: () => undefined });
  }

  get queued(): number {
    return this.queue.length;
  }

  async ship(): Promise<void> {
    for (const q of this.queue.splice(0)) {
      await this.backup.write(q.data, q.offset);
      q.release();
    }
  }
}

const metaDirs: string[] = [];
afterAll(() => {
  for (const d of metaDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Event-loop turns until `done` (bounded): overlapping writes run one after another (the extent lock), each a turn or more apart. */
async function settle(done: () => boolean = () => false, turns = 5): Promise<void> {
  for (let i = 0; i < turns || (!done() && i < 10_000); i++) await new Promise((resolve) => setImmediate(resolve));
}




/** Pooled sizes (64 KiB and up) anywhere on the volume; the fill byte tells writes apart. */
const write = fc.record({ lba: fc.nat({ max: VOLUME / BLOCK - 512 }), blocks: fc.integer({ min: 128, max: 512 }), fill: fc.integer({ min: 0, max: 255 }) });

describe('a device that queues write data past the acknowledgement', () => {
  it('keeps pooled Data-Out buffers under their hold: after many more writes the backup equals the primary', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 1, maxLength: 8 }),
        fc.array(write, { minLength: 8, maxLength: 24 }),
        // Socket reads shorter than the smallest write's PDU (48 + 64 KiB): a PDU wholly inside
        // one read is delivered as a slice of it (no pooled buffer, nothing to hold), so the
        // keptInPlace count below holds only when every write's data spans reads.
        fc.array(fc.integer({ min: 1000, max: 64 * KiB }), { minLength: 1, maxLength: 4 }),
        async (queuedWrites, laterWrites, reads) => {
          const metaDir = mkdtempSync(join(tmpdir(), 'tandem-queued-mirror-'));
          metaDirs.push(metaDir);
          const device = new QueueingMirror({ size: VOLUME });
          const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device, blockSize: BLOCK, metaDir });
          const target = new ScsiTarget(TARGET, [lu]);
          const mrdsl = 64 * KiB;
          const c = new MemoryConnection({ maxRecvDataSegmentLength: mrdsl, firstBurstLength: 256 * KiB, maxBurstLength: 256 * KiB, initialR2T: false, immediateData: true }, target);
          // A TEST UNIT READY first takes any unit attention pending for the new nexus.
          const tur = Buffer.alloc(16);
          c.push(wire(encodeScsiCommand({ immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt: 1, expectedLength: 0, cmdSN: 1, expStatSN: 1, cdb: tur }, 0), Buffer.alloc(0), false));
          await settle();

          push(c, stream(queuedWrites, 2, mrdsl, BLOCK), reads);
          await settle(() => device.queued === queuedWrites.length);
          expect(device.queued).toBe(queuedWrites.length);
          // The queued writes' buffers were pooled and kept as they are, not copied.
          expect(device.keptInPlace).toBe(queuedWrites.length);

          // Many more writes, taking buffers from the same pool, before anything is shipped.
          push(c, stream(laterWrites, 2 + queuedWrites.length, mrdsl, BLOCK), reads);
          await settle(() => c.output().filter((o) => o.kind === 'scsi-response').length === 1 + queuedWrites.length + laterWrites.length);
          const responses = c.output().filter((o) => o.kind === 'scsi-response');
          expect(responses.slice(1).map((o) => (o.kind === 'scsi-response' ? o.pdu.status : -1))).toEqual([...queuedWrites, ...laterWrites].map(() => 0));

          await device.ship();
          const primary = Buffer.alloc(VOLUME);
          const backup = Buffer.alloc(VOLUME);
          await device.read(primary, 0);
          await device.backup.read(backup, 0);
          expect(backup.equals(primary)).toBe(true);
          await target.close();
        },
      ),
      { numRuns: 15 },
    );
    // Shipped buffers went back to the pool.
    expect(ioBufferPool.idleBytes).toBeGreaterThan(0);
  });
});
