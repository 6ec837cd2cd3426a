import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FILE, StagingJournal } from '../../src/replication/staging-journal.js';
import { tempMetaDir } from './temp-meta.js';

describe('staging journal recovery on random bytes', () => {
  it('never throws and recovers nothing from noise', async () => {
    const dir = tempMetaDir();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 4096, maxLength: 8192 }), async (bytes) => {
        writeFileSync(join(dir, JOURNAL_FILE), bytes);
        writeFileSync(join(dir, 'journal.head'), JSON.stringify({ headPos: 0, headSeq: 1, epoch: 1, epochStartSeq: 1 }));
        const j = await StagingJournal.open({ dir });
        expect(j.length).toBe(0);
        await j.close();
      }),
      { numRuns: 50 },
    );
  });
});
