/**
 * Asynchronous mirroring's send queue keeps the host's Data-Out buffer (no copy) after the
 * write is acknowledged, until the change is shipped. Through the real target path
 * (socket reads, landing, ScsiTarget, WRITE) onto a ReplicatedDevice in continuous async
 * mode: writes queue while the backup does not answer, many more writes take buffers from
 * the same pool, then the backup answers again and everything ships: the backup's image
 * equals the primary's. Without the queue's hold on those buffers, the backup would get
 * later commands' bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { openHarness, quiesce, reachContinuous, VOLUME } from '../../replication/device-harness.js';
import { MemoryConnection, wire } from './helpers/memory-connection.js';
import { push, stream } from './helpers/write-stream.js';

const BLOCK = 512;
const KiB = 1024;
const TARGET = 'iqn.2026-01.test:async-replication';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-async-hold-'));
  dirs.push(d);
  return d;
}

/** Waits for `done` (the engine does real file I/O: the bound only ends a hang). */
async function until(done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(done()).toBe(true);
}




/** Pooled sizes (64 KiB and up) anywhere on the volume; the fill byte tells writes apart. */
const write = fc.record({ lba: fc.nat({ max: VOLUME / BLOCK - 256 }), blocks: fc.integer({ min: 128, max: 256 }), fill: fc.integer({ min: 0, max: 255 }) });

describe('asynchronous mirroring through the target', () => {
  it('ships the bytes the host wrote, however many later writes reuse the pool before they ship', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 2, maxLength: 8 }),
        fc.array(write, { minLength: 8, maxLength: 20 }),
        fc.array(fc.integer({ min: 1000, max: 70_000 }), { minLength: 1, maxLength: 4 }),
        async (queuedWrites, laterWrites, reads) => {
          const h = await openHarness(tempDir(), { flavour: 'async', logger: pino({ level: 'silent' }) });
          await reachContinuous(h);
          const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: h.device, blockSize: BLOCK, metaDir: tempDir() });
          const target = new ScsiTarget(TARGET, [lu]);
          const mrdsl = 64 * KiB;
          const c = new MemoryConnection({ maxRecvDataSegmentLength: mrdsl, firstBurstLength: 128 * KiB, maxBurstLength: 128 * KiB, initialR2T: false, immediateData: true }, target);
          const tur = Buffer.alloc(16);
          c.push(wire(encodeScsiCommand({ immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt: 1, expectedLength: 0, cmdSN: 1, expStatSN: 1, cdb: tur }, 0), Buffer.alloc(0), false));
          const responses = () => c.output().filter((o) => o.kind === 'scsi-response');
          await until(() => responses().length === 1);

          // The backup stops answering: the changes stay in the send queue, in the host's buffers.
          const answer = h.link.hold();
          push(c, stream(queuedWrites, 2, mrdsl, BLOCK), reads);
          await until(() => responses().length === 1 + queuedWrites.length);
          push(c, stream(laterWrites, 2 + queuedWrites.length, mrdsl, BLOCK), reads);
          await until(() => responses().length === 1 + queuedWrites.length + laterWrites.length);
          const statuses = responses().slice(1).map((o) => (o.kind === 'scsi-response' ? o.pdu.status : -1));
          expect(statuses).toEqual([...queuedWrites, ...laterWrites].map(() => 0));
          expect(h.device.status().state).toBe('continuous');

          answer();
          await quiesce(h);
          const [a, b] = await Promise.all([h.local.sha256(0, VOLUME), h.link.backup.sha256(0, VOLUME)]);
          expect(b.toString('hex')).toBe(a.toString('hex'));
          await target.close();
        },
      ),
      { numRuns: 10 },
    );
  });
});
