import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { patternChunk } from '../../../src/scsi/sanitize/methods.js';
import { passIsInverted } from '../../../src/scsi/sanitize/overwrite-parameters.js';
import { nexus, read10, senseOf, write10 } from '../helpers.js';
import { BLOCK, SA, SteeredStore, drainUnitAttentions, overwrite, sanitize, sanitizeRig, senseKeySpecificOf, settle } from './rig.js';

const BLOCKS = 64;

async function readAll(r: Awaited<ReturnType<typeof sanitizeRig>>): Promise<Buffer> {
  const res = await r.exec(read10(0, BLOCKS));
  expect(res.status).toBe(ScsiStatus.GOOD);
  return res.dataIn!;
}

describe('SANITIZE OVERWRITE', () => {
  it('writes the pattern over every block, restarting it at each block boundary', async () => {
    const r = await sanitizeRig();
    await r.exec(write10(0, 1), Buffer.alloc(BLOCK, 0x61));
    const pattern = Buffer.from('abcdefg'); // 7 does not divide 512
    expect((await overwrite(r, pattern)).status).toBe(ScsiStatus.GOOD);
    const data = await readAll(r);
    const block = Buffer.alloc(BLOCK).fill(pattern);
    for (let i = 0; i < BLOCKS; i++) expect(data.subarray(i * BLOCK, (i + 1) * BLOCK).equals(block)).toBe(true);
  });

  it('makes each pass durable before the next one, and the last flush ends the operation', async () => {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    const before = store.flushes;
    await overwrite(r, Buffer.from([1]), { count: 3 });
    // One flush per pass, then one when the operation completes.
    expect(store.flushes - before).toBe(4);
  });

  it('with INVERT the passes alternate and the last one writes the pattern as given', async () => {
    for (const count of [2, 3]) {
      const store = new SteeredStore(BLOCKS * BLOCK);
      const r = await sanitizeRig({ store });
      await overwrite(r, Buffer.from([0x0f]), { count, invert: true });
      const firstBytes = store.writes.filter((w) => w.offset === 0).map((w) => w.first);
      expect(firstBytes).toEqual(count === 2 ? [0xf0, 0x0f] : [0x0f, 0xf0, 0x0f]);
      expect((await readAll(r)).every((b) => b === 0x0f)).toBe(true);
    }
  });

  it('without INVERT every pass writes the pattern', async () => {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    await overwrite(r, Buffer.from([0x0f]), { count: 2 });
    expect(store.writes.filter((w) => w.offset === 0).map((w) => w.first)).toEqual([0x0f, 0x0f]);
  });

  it('passIsInverted ends every INVERT sequence on the pattern itself', () => {
    for (let count = 1; count <= 31; count++) {
      expect(passIsInverted({ invert: true, count }, count - 1)).toBe(false);
      for (let i = 0; i + 1 < count; i++) expect(passIsInverted({ invert: true, count }, i)).toBe(!passIsInverted({ invert: true, count }, i + 1));
      expect(passIsInverted({ invert: false, count }, 0)).toBe(false);
    }
  });

  it('patternChunk starts every block with the first pattern byte', () => {
    const chunk = patternChunk(Buffer.from([1, 2, 3]), 8, 24);
    expect([...chunk]).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 1, 2, 3, 1, 2, 3, 1, 2, 1, 2, 3, 1, 2, 3, 1, 2]);
  });
});

describe('SANITIZE BLOCK ERASE', () => {
  it('deallocates every block: data reads back as zeroes and nothing is mapped', async () => {
    // Big enough for the memory store to deallocate whole 64 KiB chunks.
    const size = 8 * 64 * 1024;
    const r = await sanitizeRig({ store: new SteeredStore(size) });
    await r.exec(write10(0, BLOCKS), Buffer.alloc(BLOCKS * BLOCK, 0x61));
    expect((await r.exec(sanitize(SA.BLOCK_ERASE))).status).toBe(ScsiStatus.GOOD);
    expect((await readAll(r)).every((b) => b === 0)).toBe(true);
    expect(await r.store.allocation(0, size)).toEqual({ mapped: false, length: size });
  });
});

describe('while a sanitize runs', () => {
  async function running() {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    store.hold();
    const list = Buffer.concat([Buffer.from([1, 0, 0, 1]), Buffer.from([0x55])]);
    const res = await r.exec(sanitize(SA.OVERWRITE, { immed: true, length: list.length }), list);
    return { r, store, res };
  }

  it('IMMED=1 answers GOOD once the parameter list is valid, before the operation ends', async () => {
    const { r, store, res } = await running();
    expect(res.status).toBe(ScsiStatus.GOOD);
    expect(r.lu.sanitize.inProgress).toBe(true);
    store.release();
    await settle(r.lu);
  });

  it('media and other commands get NOT READY, SANITIZE IN PROGRESS with a progress indication', async () => {
    const { r, store } = await running();
    for (const cdb of [[0x00], read10(0, 1), write10(0, 1), [0x1b, 0, 0, 0, 1, 0], [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]]) {
      const res = await r.exec(cdb, Buffer.alloc(BLOCK));
      expect(senseOf(res), `opcode ${cdb[0]}`).toMatchObject({ key: 2, asc: 0x04, ascq: 0x1b });
      expect(senseKeySpecificOf(res).sksv).toBe(true);
    }
    store.release();
    await settle(r.lu);
  });

  it('INQUIRY, REPORT LUNS and REQUEST SENSE still run; REQUEST SENSE reports the progress', async () => {
    const { r, store } = await running();
    expect((await r.exec([0x12, 0, 0, 0, 36, 0])).status).toBe(ScsiStatus.GOOD);
    expect((await r.exec([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0])).status).toBe(ScsiStatus.GOOD);
    const rs = await r.exec([0x03, 0, 0, 0, 18, 0]);
    expect(rs.status).toBe(ScsiStatus.GOOD);
    expect(rs.dataIn![2]! & 0x0f).toBe(2);
    expect([rs.dataIn![12], rs.dataIn![13]]).toEqual([0x04, 0x1b]);
    expect(rs.dataIn![15]! & 0x80).toBe(0x80);
    store.release();
    await settle(r.lu);
    const after = await r.exec([0x03, 0, 0, 0, 18, 0]);
    expect(after.dataIn![2]! & 0x0f).toBe(0);
    expect((await r.exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('the progress indication grows from 0 towards 65535 as passes complete', async () => {
    const store = new SteeredStore(4 * 1024 * 1024);
    const r = await sanitizeRig({ store });
    const list = Buffer.from([2, 0, 0, 1, 0x55]);
    store.hold();
    await r.exec(sanitize(SA.OVERWRITE, { immed: true, length: list.length }), list);
    const seen: number[] = [];
    while (r.lu.sanitize.inProgress) {
      seen.push(senseKeySpecificOf(await r.exec([0x00])).value);
      store.release();
      await new Promise((resolve) => setImmediate(resolve));
      if (r.lu.sanitize.inProgress) store.hold();
    }
    expect(seen[0]).toBe(0);
    expect(seen.slice(1).every((v, i) => v >= seen[i]!)).toBe(true);
    expect(Math.max(...seen)).toBeGreaterThan(0x8000);
  });

  it('a command that passed dispatch before the sanitize began is refused when it runs', async () => {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    const write = r.prepare(write10(0, 1)); // waiting for its Data-Out
    store.hold();
    const list = Buffer.from([1, 0, 0, 1, 0x55]);
    await r.exec(sanitize(SA.OVERWRITE, { immed: true, length: list.length }), list);
    expect(senseOf(await write.run(Buffer.alloc(BLOCK, 0x61)))).toMatchObject({ key: 2, asc: 0x04, ascq: 0x1b });
    store.release();
    await settle(r.lu);
    expect((await readAll(r))[0]).toBe(0x55);
  });

  it('the sanitize waits for writes already running before it touches the medium', async () => {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    store.hold();
    const write = r.exec(write10(0, 1), Buffer.alloc(BLOCK, 0x61));
    await new Promise((resolve) => setImmediate(resolve));
    const list = Buffer.from([1, 0, 0, 1, 0x55]);
    const san = r.exec(sanitize(SA.OVERWRITE, { length: list.length }), list);
    store.release();
    expect((await write).status).toBe(ScsiStatus.GOOD);
    expect((await san).status).toBe(ScsiStatus.GOOD);
    // The host's write landed first and was overwritten.
    expect(store.writes[0]!.first).toBe(0x61);
    expect((await readAll(r)).every((b) => b === 0x55)).toBe(true);
  });

  it('an aborted SANITIZE (IMMED=0) settles at once and the operation completes anyway', async () => {
    const store = new SteeredStore(BLOCKS * BLOCK);
    const r = await sanitizeRig({ store });
    store.hold();
    const list = Buffer.from([1, 0, 0, 1, 0x55]);
    const plan = r.prepare(sanitize(SA.OVERWRITE, { length: list.length }));
    const outcome = plan.run(list);
    await new Promise((resolve) => setImmediate(resolve));
    expect(plan.abandon).toBeTypeOf('function');
    plan.abandon!();
    await outcome;
    expect(r.lu.sanitize.inProgress).toBe(true);
    // Resets do not end it either.
    r.target.lunReset(0, nexus(1));
    r.target.targetReset(nexus(1), true);
    r.target.nexusLost(nexus(1));
    expect(r.lu.sanitize.inProgress).toBe(true);
    store.release();
    await settle(r.lu);
    await drainUnitAttentions(r);
    expect((await readAll(r))[0]).toBe(0x55);
  });

  it('a second SANITIZE is NOT READY, SANITIZE IN PROGRESS', async () => {
    const { r, store } = await running();
    expect(senseOf(await r.exec(sanitize(SA.BLOCK_ERASE)))).toMatchObject({ key: 2, asc: 0x04, ascq: 0x1b });
    store.release();
    await settle(r.lu);
  });
});
