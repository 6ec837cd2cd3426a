/**
 * WRITE ATOMIC on a nearly full file system: the log's record is written whole and durable
 * before anything reaches the image, or the write fails (ENOSPC) having applied nothing.
 *
 * A nearly full file system takes part of a write without an error (writev returns a short
 * count; the next write fails with ENOSPC). A record logged short and then applied would be
 * torn by a power loss during the apply: replay skips a record shorter than its header says,
 * and the image keeps half of the write. Also: a log that cannot be emptied after a write
 * fails the write, and refuses atomic writes until it can be emptied.
 *
 * The file system is PowerLossFiles (test/support), which forgets at a crash what was not
 * synced, with a size limit on the log file and faults injected through DurableFiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AtomicLogNotEmptiedError, AtomicWriteLog } from '../../src/block/atomic-write-log.js';
import type { DurableFile, DurableFiles, OpenFlags } from '../../src/block/durable-file.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { seededRng } from '../support/sim-scheduler.js';

const RECORD = 64 * 1024;
const LOG = '/meta/lun-0-atomic-write.log';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** PowerLossFiles whose files hold at most `room` bytes (a write beyond takes what fits, as Linux), with faults on demand. */
class FullDiskFiles implements DurableFiles {
  readonly inner = new PowerLossFiles();
  room = Infinity;
  /** Most bytes one writev takes (a file system taking a record in pieces). */
  piece = Infinity;
  /** writev returns 0 without an error (no progress). */
  stalled = false;
  /** truncate fails with EIO. */
  truncateFails = false;

  async open(path: string, flags: OpenFlags, mode?: number): Promise<DurableFile> {
    const fh = await this.inner.open(path, flags, mode);
    return {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      write: (b, o, l, p) => fh.write(b, o, l, p),
      writev: async (bufs, position) => {
        if (this.stalled) return { bytesWritten: 0 };
        const total = bufs.reduce((n, b) => n + b.length, 0);
        const fits = Math.min(total, this.piece, this.room - position);
        if (fits <= 0) throw errno('ENOSPC');
        return fh.writev([Buffer.concat(bufs).subarray(0, fits)], position);
      },
      writeFile: (d) => fh.writeFile(d),
      truncate: async (length) => {
        if (this.truncateFails) throw errno('EIO');
        return fh.truncate(length);
      },
      datasync: () => fh.datasync(),
      sync: () => fh.sync(),
      stat: () => fh.stat(),
      close: () => fh.close(),
    };
  }

  stat = (path: string) => this.inner.stat(path);
  readFile = (path: string) => this.inner.readFile(path);
  rename = (from: string, to: string) => this.inner.rename(from, to);
  unlink = (path: string) => this.inner.unlink(path);
  mkdir = (path: string) => this.inner.mkdir(path);
  syncDir = (path: string) => this.inner.syncDir(path);
}

async function newFiles(): Promise<FullDiskFiles> {
  const files = new FullDiskFiles();
  await files.mkdir('/meta');
  return files;
}

const image = async (store: MemoryBlockStore): Promise<Buffer> => {
  const b = Buffer.alloc(RECORD);
  await store.read(b, 0);
  return b;
};

describe('AtomicWriteLog on a nearly full file system', () => {
  let hanging: Array<() => void> = [];
  afterEach(() => {
    for (const release of hanging) release();
    hanging = [];
  });

  for (const keep of ['none', 'some'] as const) {
    it(`a record the log takes only part of is never applied: ENOSPC, and a power loss leaves none of the write (crash keeps ${keep})`, async () => {
      for (let seed = 1; seed <= (keep === 'some' ? 8 : 1); seed++) {
        const files = await newFiles();
        const store = new MemoryBlockStore({ size: 1 << 20 });
        const log = await AtomicWriteLog.open(LOG, store, RECORD, files);
        files.room = 24 * 1024; // less than one record
        const data = Buffer.alloc(RECORD, 0xcd);
        // Were it applied, the apply reaches the medium half-way, then the power goes (it never completes).
        let applying = false;
        const powerLossMidApply = {
          write: async (buf: Buffer, offset: number): Promise<void> => {
            applying = true;
            await store.write(buf.subarray(0, buf.length / 2), offset);
            return new Promise<void>((resolve) => hanging.push(resolve));
          },
        };
        let outcome: unknown = 'pending';
        log.write(data, 0, powerLossMidApply).then(
          () => (outcome = 'resolved'),
          (e: unknown) => (outcome = e),
        );
        for (let i = 0; i < 200 && !applying && outcome === 'pending'; i++) await new Promise((r) => setImmediate(r));
        expect(applying, 'a short record was applied').toBe(false);
        expect(outcome).toMatchObject({ code: 'ENOSPC' });
        expect(files.inner.peek(LOG)?.length).toBe(0); // what the log did take is given back

        // Restart: the log is replayed over what the medium holds.
        const survivor = files.inner.crash({ keep, rng: seededRng(seed) });
        const reopened = await AtomicWriteLog.open(LOG, store, RECORD, survivor);
        const after = await image(store);
        expect({ replayed: reopened.replayed, none: after.every((b) => b === 0) }).toEqual({ replayed: false, none: true });
      }
    });
  }

  it('a record the file system takes in pieces is logged whole, applied, and the log emptied', async () => {
    const files = await newFiles();
    const store = new MemoryBlockStore({ size: 1 << 20 });
    const log = await AtomicWriteLog.open(LOG, store, RECORD, files);
    files.piece = 5000; // not a multiple of anything: pieces end inside the header and the data
    let logged: Buffer | undefined;
    const data = Buffer.alloc(RECORD, 0x5a);
    await log.write(data, 4096, {
      write: async (buf, offset, fua) => {
        logged = files.inner.peek(LOG);
        await store.write(buf, offset, fua);
      },
    });
    expect(logged?.length).toBe(24 + RECORD);
    expect(logged?.subarray(24).equals(data)).toBe(true);
    expect((await image(store)).subarray(4096).equals(data.subarray(0, RECORD - 4096))).toBe(true);
    expect(files.inner.peek(LOG)?.length).toBe(0);
  });

  it('a write the log makes no progress on is ENOSPC, applying nothing', async () => {
    const files = await newFiles();
    const store = new MemoryBlockStore({ size: 1 << 20 });
    const log = await AtomicWriteLog.open(LOG, store, RECORD, files);
    files.stalled = true;
    let applied = false;
    await expect(
      log.write(Buffer.alloc(4096, 1), 0, {
        write: async () => {
          applied = true;
        },
      }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(applied).toBe(false);
  });

  it('a log that cannot be emptied after the apply fails the write, and refuses atomic writes until it can be emptied', async () => {
    const files = await newFiles();
    const store = new MemoryBlockStore({ size: 1 << 20 });
    const log = await AtomicWriteLog.open(LOG, store, RECORD, files);
    files.truncateFails = true;
    const failed = await log.write(Buffer.alloc(4096, 1), 0).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AtomicLogNotEmptiedError);
    expect(failed).toMatchObject({ code: 'EIO' });
    // While it still cannot be emptied, no new atomic write starts (nothing reaches the image).
    let applied = false;
    const target = {
      write: async () => {
        applied = true;
      },
    };
    await expect(log.write(Buffer.alloc(4096, 2), 0, target)).rejects.toBeInstanceOf(AtomicLogNotEmptiedError);
    expect(applied).toBe(false);
    // Once it can, it is emptied first, durably, and writes go on.
    files.truncateFails = false;
    await log.write(Buffer.alloc(4096, 3), 0);
    expect(files.inner.peek(LOG)?.length).toBe(0);
    const back = Buffer.alloc(4096);
    await store.read(back, 0);
    expect(back.every((b) => b === 3)).toBe(true);
  });
});
