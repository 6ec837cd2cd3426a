import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { sanitizeRecordPath, saveSanitizeRecord } from '../../../src/scsi/sanitize/record.js';
import { fieldPointerOf, read10, senseOf } from '../helpers.js';
import { BLOCK, SA, SteeredStore, metaDir, overwrite, sanitize, sanitizeRig, settle } from './rig.js';

const BLOCKS = 64;
const failing = () => {
  const store = new SteeredStore(BLOCKS * BLOCK);
  store.failFromWrite = 0;
  return store;
};

describe('a failed sanitize (SBC-3 §4.11)', () => {
  it('the SANITIZE (IMMED=0) ends with MEDIUM ERROR, SANITIZE COMMAND FAILED', async () => {
    const r = await sanitizeRig({ store: failing() });
    expect(senseOf(await overwrite(r, Buffer.from([1])))).toMatchObject({ key: 3, asc: 0x31, ascq: 0x03 });
    expect(r.lu.sanitize.failed).toBe(true);
  });

  it('media commands then get MEDIUM ERROR, SANITIZE COMMAND FAILED; INQUIRY still runs; REQUEST SENSE reports it', async () => {
    const r = await sanitizeRig({ store: failing() });
    await overwrite(r, Buffer.from([1]), { immed: true });
    await settle(r.lu);
    expect(senseOf(await r.exec(read10(0, 1)))).toMatchObject({ key: 3, asc: 0x31, ascq: 0x03 });
    expect(senseOf(await r.exec([0x00]))).toMatchObject({ key: 3, asc: 0x31, ascq: 0x03 });
    expect((await r.exec([0x12, 0, 0, 0, 36, 0])).status).toBe(ScsiStatus.GOOD);
    const rs = await r.exec([0x03, 0, 0, 0, 18, 0]);
    expect([rs.dataIn![2]! & 0x0f, rs.dataIn![12], rs.dataIn![13]]).toEqual([3, 0x31, 0x03]);
  });

  it('restricted (AUSE=0): EXIT FAILURE MODE and a new SANITIZE with AUSE=1 are INVALID FIELD IN CDB', async () => {
    const store = failing();
    const r = await sanitizeRig({ store });
    await overwrite(r, Buffer.from([1]));
    const exit = await r.exec(sanitize(SA.EXIT_FAILURE_MODE));
    expect(senseOf(exit)).toMatchObject({ key: 5, asc: 0x24 });
    expect(fieldPointerOf(exit)).toEqual({ cd: true, byte: 1, bit: 4 });
    const unrestricted = await r.exec(sanitize(SA.BLOCK_ERASE, { ause: true }));
    expect(fieldPointerOf(unrestricted)).toEqual({ cd: true, byte: 1, bit: 5 });
    expect(r.lu.sanitize.failed).toBe(true);
  });

  it('restricted: only a sanitize that completes ends failure mode', async () => {
    const store = failing();
    const r = await sanitizeRig({ store });
    await overwrite(r, Buffer.from([1]));
    store.failFromWrite = Infinity;
    expect((await overwrite(r, Buffer.from([2])).then((x) => x.status))).toBe(ScsiStatus.GOOD);
    expect(r.lu.sanitize.failed).toBe(false);
    expect((await r.exec(read10(0, 1))).dataIn![0]).toBe(2);
  });

  it('unrestricted (AUSE=1): EXIT FAILURE MODE ends failure mode, and the data is what the failed operation left', async () => {
    const store = failing();
    const r = await sanitizeRig({ store });
    await overwrite(r, Buffer.from([1]), { ause: true });
    expect((await r.exec(sanitize(SA.EXIT_FAILURE_MODE))).status).toBe(ScsiStatus.GOOD);
    expect(r.lu.sanitize.failed).toBe(false);
    expect((await r.exec(read10(0, 1))).status).toBe(ScsiStatus.GOOD);
  });

  it('EXIT FAILURE MODE outside failure mode does nothing and is GOOD', async () => {
    const r = await sanitizeRig();
    expect((await r.exec(sanitize(SA.EXIT_FAILURE_MODE))).status).toBe(ScsiStatus.GOOD);
  });
});

describe('a sanitize survives a restart', () => {
  it('failure mode is kept in the LU metadata and restored when the LU opens again', async () => {
    const dir = metaDir();
    const r = await sanitizeRig({ store: failing(), metaDir: dir });
    await overwrite(r, Buffer.from([1]));
    const again = await sanitizeRig({ metaDir: dir });
    expect(senseOf(await again.exec(read10(0, 1)))).toMatchObject({ key: 3, asc: 0x31, ascq: 0x03 });
  });

  it('an operation in progress resumes when the LU opens and its record goes when it completes', async () => {
    const dir = metaDir();
    const path = sanitizeRecordPath(dir, 0);
    await saveSanitizeRecord(path, { state: 'running', ause: false, method: { kind: 'overwrite', invert: false, count: 1, pattern: Buffer.from([0x77]) } });
    const r = await sanitizeRig({ metaDir: dir });
    await settle(r.lu);
    expect((await r.exec(read10(0, BLOCKS))).dataIn!.every((b) => b === 0x77)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('a shutdown halts the operation between writes and leaves its record for the next start', async () => {
    const dir = metaDir();
    const store = new SteeredStore(4 * 1024 * 1024);
    const r = await sanitizeRig({ store, metaDir: dir });
    store.hold();
    await overwrite(r, Buffer.from([0x33]), { immed: true, count: 2 });
    const closing = r.target.close();
    store.release();
    await closing;
    expect(existsSync(sanitizeRecordPath(dir, 0))).toBe(true);
    expect(store.writes.length).toBeLessThan((2 * 4 * 1024 * 1024) / (1024 * 1024));
  });

  it('an unreadable record counts as a restricted failure: no data is served', async () => {
    const dir = metaDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(sanitizeRecordPath(dir, 0), '{"version":1,"state":"running"');
    const r = await sanitizeRig({ metaDir: dir });
    expect(senseOf(await r.exec(read10(0, 1)))).toMatchObject({ key: 3, asc: 0x31, ascq: 0x03 });
  });
});
