/** How `tandem verify --control` prints what a running pair's recheck set apart (not counted as differing). */
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/cli/verify/command.js';
import type { VerifyReport } from '../../src/verify/engine.js';

const base: VerifyReport = {
  source: '/img/a.img',
  replica: 'iscsi://b/iqn.x:y/0',
  volumeBytes: 64 * 65536,
  replicaBeyondBytes: 0,
  blockSize: 512,
  chunkBytes: 65536,
  chunksChecked: 64,
  unallocatedChunks: 0,
  algorithm: 'xxh3',
  differingChunks: 1,
  differing: [{ lba: 1280, blocks: 128 }],
  bytesRepaired: 0,
  durationMs: 100,
  wire: { replica: { verify: { bytesSent: 1, bytesReceived: 1 }, total: { bytesSent: 1, bytesReceived: 1 } } },
};

describe('verify report of a running pair', () => {
  it('shows pending and settled chunks apart from the differing ones', () => {
    const text = formatReport({ ...base, live: { settledChunks: 12, pendingChunks: 3, pending: [{ lba: 0, blocks: 384 }] } });
    expect(text).toContain('differ   1 chunks in 1 extents\n  lba 1280 blocks 128\n');
    expect(text).toContain("pending  3 chunks marked for the pair's next pass (known to differ)\n");
    expect(text).toContain('settled  12 chunks differed while being written, equal once the backup caught up\n');
  });

  it('says nothing of them when there were none, or when verify did not run on a live pair', () => {
    for (const r of [{ ...base, live: { settledChunks: 0, pendingChunks: 0, pending: [] } }, base]) {
      const text = formatReport(r);
      expect(text).not.toMatch(/pending|settled/);
    }
  });
});
