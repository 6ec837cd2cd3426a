import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, exec, makeLu, readBlocks, writeCdb16 } from './helpers.js';

describe('COMPARE AND WRITE atomicity', () => {
  it('of many concurrent CAWs expecting the same old data, exactly one wins', async () => {
    const lu = await makeLu();
    const old = Buffer.alloc(512, 0);
    const attempts = Array.from({ length: 8 }, (_, i) =>
      exec(lu, i % 2 ? A : B, writeCdb16(0x89, 3, 1), Buffer.concat([old, Buffer.alloc(512, i + 1)])),
    );
    const results = await Promise.all(attempts);
    const winners = results.flatMap((r, i) => (r.status === ScsiStatus.GOOD ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.sense?.key === 0x0e)).toHaveLength(7);
    expect(await readBlocks(lu, 3, 1)).toEqual(Buffer.alloc(512, winners[0]! + 1));
  });

  it('holds the extent lock across read-compare-write: a contending writer waits for the write', async () => {
    const lu = await makeLu();
    const order: string[] = [];
    const device = lu.device;
    const read = device.read.bind(device);
    const write = device.write.bind(device);
    let other: Promise<void> | undefined;
    // While the CAW is between its read and its write, someone else wants the range.
    device.read = async (buf, offset) => {
      other = lu.extentLocks.acquire(0, 1).then((release) => {
        order.push('other');
        release();
      });
      await new Promise((r) => setTimeout(r, 10));
      return read(buf, offset);
    };
    device.write = async (buf, offset, fua) => {
      order.push('caw-write');
      return write(buf, offset, fua);
    };
    const r = await exec(lu, A, writeCdb16(0x89, 0, 1), Buffer.concat([Buffer.alloc(512), Buffer.alloc(512, 7)]));
    await other;
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(order).toEqual(['caw-write', 'other']);
  });
});
