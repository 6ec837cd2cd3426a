/**
 * A backing store that times out (librbd with rados_osd_op_timeout set while an OSD is
 * down) is not a bad medium: reads and writes answer NOT READY, LOGICAL UNIT IS IN PROCESS
 * OF BECOMING READY (an initiator retries that after a pause), while a real I/O error stays
 * MEDIUM ERROR.
 */
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { read10, rig, senseOf, write10 } from './helpers.js';

const timedOut = () => Promise.reject(new BlockIoError('ETIMEDOUT', 110, 'rbd_aio_write: Connection timed out'));
const ioError = () => Promise.reject(new BlockIoError('EIO', 5, 'injected'));

describe('a backing store that times out', () => {
  it('READ and WRITE answer NOT READY 04h/01h, which initiators retry', async () => {
    const r = await rig();
    r.store.read = timedOut;
    r.store.write = timedOut;
    expect(senseOf(await r.exec(read10(0, 1)))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
    expect(senseOf(await r.exec(write10(0, 1), Buffer.alloc(512)))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
  });

  it('a FUA write and SYNCHRONIZE CACHE(10/16) answer it too (the paths the RBD store times out on)', async () => {
    const r = await rig();
    const fuas: boolean[] = [];
    r.store.write = (_buf: Buffer, _offset: number, fua?: boolean) => (fuas.push(fua === true), timedOut());
    r.store.flush = timedOut;
    expect(senseOf(await r.exec(write10(0, 1, 0x08), Buffer.alloc(512)))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
    expect(fuas).toEqual([true]);
    expect(senseOf(await r.exec([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
    expect(senseOf(await r.exec([0x91, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
  });

  it('a real I/O error is still MEDIUM ERROR (read: 11h/00h, write: 0Ch/00h)', async () => {
    const r = await rig();
    r.store.read = ioError;
    r.store.write = ioError;
    expect(senseOf(await r.exec(read10(0, 1)))).toMatchObject({ key: 0x03, asc: 0x11, ascq: 0x00 });
    expect(senseOf(await r.exec(write10(0, 1), Buffer.alloc(512)))).toMatchObject({ key: 0x03, asc: 0x0c, ascq: 0x00 });
  });
});
