/**
 * The forgetting file system itself: data is durable only after a sync issued once the
 * write completed, names only after a sync of their directory, and a replaced file comes
 * back old or new, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/block/atomic-file.js';
import { PowerLossFiles } from './power-loss-files.js';
import { SimNode, SimScheduler, seededRng } from './sim-scheduler.js';

const DIR = '/meta';

async function fresh(): Promise<PowerLossFiles> {
  const fs = new PowerLossFiles();
  await fs.mkdir(DIR);
  return fs;
}

describe('PowerLossFiles', () => {
  it('unsynced data is lost, synced data kept; a new name needs its directory synced', async () => {
    const fs = await fresh();
    const fh = await fs.open(`${DIR}/a`, 'w+');
    await fh.write(Buffer.from('hello'), 0, 5, 0);
    await fh.sync();
    await fh.write(Buffer.from('HELLO'), 0, 5, 0);
    // The file's name is not durable yet: a power loss now loses the file.
    expect(fs.crash({ keep: 'none' }).list()).toEqual([]);

    const fs2 = await fresh();
    const fh2 = await fs2.open(`${DIR}/a`, 'w+');
    await fh2.write(Buffer.from('hello'), 0, 5, 0);
    await fh2.datasync();
    await fs2.syncDir(DIR);
    await fh2.write(Buffer.from('HELLO world'), 0, 11, 0);
    const after = fs2.crash({ keep: 'none' });
    expect(after.peek(`${DIR}/a`)?.toString()).toBe('hello');
  });

  it('a sync covers writes completed when it was issued, not those in flight', async () => {
    const scheduler = new SimScheduler();
    const node = new SimNode('m');
    const fs = new PowerLossFiles({ scheduler, node });
    await fs.mkdir(DIR);
    const opening = fs.open(`${DIR}/a`, 'w+');
    scheduler.step(() => 0);
    const fh = await opening;
    const dirSync = fs.syncDir(DIR);
    scheduler.step(() => 0);
    await dirSync;
    const w = fh.write(Buffer.from('late'), 0, 4, 0);
    const s = fh.datasync();
    // Run the sync first, then the write.
    scheduler.step(() => 0.99);
    scheduler.step(() => 0);
    await Promise.all([w, s]);
    expect(fs.peek(`${DIR}/a`)?.toString()).toBe('late');
    expect(fs.crash({ keep: 'none' }).peek(`${DIR}/a`)?.toString()).toBe('');
  });

  it('truncation is durable only once synced', async () => {
    const fs = await fresh();
    const fh = await fs.open(`${DIR}/a`, 'w+');
    await fs.syncDir(DIR);
    await fh.write(Buffer.from('abcdef'), 0, 6, 0);
    await fh.sync();
    await fh.truncate(2);
    expect(fs.crash({ keep: 'none' }).peek(`${DIR}/a`)?.toString()).toBe('abcdef');
  });

  it('writeFileAtomic: a power loss leaves the old or the new content, whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 400 }), fc.boolean(), async (seed, crashAfter, some) => {
        const scheduler = new SimScheduler();
        const node = new SimNode('m');
        const fs = new PowerLossFiles({ scheduler, node });
        await fs.mkdir(DIR);
        const rng = seededRng(seed);
        const old = 'old '.repeat(300);
        const next = 'NEW '.repeat(200);
        const first = writeFileAtomic(`${DIR}/f`, old, fs);
        while (scheduler.size > 0 || !(await Promise.race([first.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]))) {
          scheduler.step(rng);
          await new Promise((r) => setImmediate(r));
        }
        void writeFileAtomic(`${DIR}/f`, next, fs);
        for (let i = 0; i < crashAfter; i++) {
          scheduler.step(rng);
          await new Promise((r) => setImmediate(r));
        }
        const after = fs.crash(some ? { keep: 'some', rng } : { keep: 'none' });
        expect([old, next]).toContain(after.peek(`${DIR}/f`)?.toString());
      }),
      { numRuns: 100 },
    );
  });
});
