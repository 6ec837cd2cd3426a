/**
 * The RBD store's table of requests in flight (no cluster): a completion's -errno becomes a
 * BlockIoError with the errno's name, ETIMEDOUT included (librbd with an op timeout), which
 * the SCSI layer answers NOT READY; a refused submission settles at once.
 */
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { RbdRequests } from '../../src/block/rbd-requests.js';

describe('RbdRequests', () => {
  it.each(['rbd_aio_read', 'rbd_aio_write', 'rbd_aio_flush'])('%s completing with -ETIMEDOUT rejects with code ETIMEDOUT', async (call) => {
    let settled = 0;
    const requests = new RbdRequests('rbd:p/i', () => settled++);
    let id = -1;
    const p = requests.submit(call, Buffer.alloc(512), (given) => ((id = given), 0));
    requests.complete(Int32Array.of(id, -110));
    const e = await p.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BlockIoError);
    expect(e).toMatchObject({ code: 'ETIMEDOUT', errno: 110, message: `ETIMEDOUT: ${call} failed (rbd:p/i)` });
    expect(settled).toBe(1);
  });

  it('settles completions batched in one call, each with its own result; a refused submission at once', async () => {
    let settled = 0;
    const requests = new RbdRequests('rbd:p/i', () => settled++);
    const ids: number[] = [];
    const a = requests.submit('rbd_aio_write', Buffer.alloc(512), (id) => (ids.push(id), 0));
    const b = requests.submit('rbd_aio_read', Buffer.alloc(512), (id) => (ids.push(id), 0));
    requests.complete(Int32Array.of(ids[1]!, -110, ids[0]!, 0));
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(requests.submit('rbd_aio_flush', undefined, () => -108)).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    expect(settled).toBe(3);
  });
});
