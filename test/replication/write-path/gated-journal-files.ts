/** node:fs for the staging journal, with its record writes held until a test lets them go (a journal disk slower than the host). */
import type { DurableFile, DurableFiles } from '../../../src/block/durable-file.js';
import { nodeFiles } from '../../../src/block/durable-file.js';
import { JOURNAL_FILE } from '../../../src/replication/staging-journal.js';

export function gatedJournalFiles(): { files: DurableFiles; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const files: DurableFiles = {
    ...nodeFiles,
    async open(path, flags, mode) {
      const file = await nodeFiles.open(path, flags, mode);
      if (!path.endsWith(`/${JOURNAL_FILE}`)) return file;
      const gated: DurableFile = Object.create(file) as DurableFile;
      gated.writev = async (buffers, position) => {
        await gate;
        return file.writev(buffers, position);
      };
      return gated;
    },
  };
  return { files, release };
}
