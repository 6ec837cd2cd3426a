/**
 * An append's data is lent to the journal until the append settles (the host's pooled
 * Data-Out buffer, BlockDevice.write). When another record's write fails, the appends
 * waiting on the journal fail too, but each only once its own record write has settled:
 * until then the file system may still be reading its data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFiles, type DurableFile, type DurableFiles } from '../../src/block/durable-file.js';
import { JOURNAL_FILE, StagingJournal } from '../../src/replication/staging-journal.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('staging journal, a failed record write', () => {
  it('fails an append whose own write is still in flight only once that write has settled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-journal-'));
    let stalled!: () => void;
    let writes = 0;
    let firstWriteDone = false;
    // The first record's write stalls; the second one fails at once.
    const files: DurableFiles = {
      ...nodeFiles,
      open: async (path, flags, mode) => {
        const fh = await nodeFiles.open(path, flags, mode);
        if (!path.endsWith(JOURNAL_FILE)) return fh;
        const wrapped: DurableFile = Object.create(fh) as DurableFile;
        wrapped.writev = (buffers, position) => {
          const n = ++writes;
          if (n === 2) return Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
          return new Promise<void>((resolve) => (stalled = resolve)).then(async () => {
            const r = await fh.writev(buffers, position);
            firstWriteDone = true;
            return r;
          });
        };
        return wrapped;
      },
    };
    const journal = await StagingJournal.open({ dir, files, capacity: 1024 * 1024 });
    const outcome: string[] = [];
    const first = journal.append(0, Buffer.alloc(4096, 1), 0).then(
      () => outcome.push('first resolved'),
      (e: Error) => outcome.push(`first rejected after its write: ${firstWriteDone} (${e.message})`),
    );
    const second = journal.append(4096, Buffer.alloc(4096, 2), 0).catch((e: Error) => outcome.push(`second rejected (${e.message})`));
    await second;
    await settle();
    expect(outcome).toEqual(['second rejected (EIO: i/o error, write)']);
    stalled();
    await first;
    expect(outcome[1]).toBe('first rejected after its write: true (EIO: i/o error, write)');
    await journal.close();
  });
});
