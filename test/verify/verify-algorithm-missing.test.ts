/**
 * `--algorithm xxh3` where it cannot be had: a build without libxxhash-dev says so in one
 * line before any login (simulated here by hiding it from the block layer), and a replica
 * that does not advertise it is named in a usage error.
 */
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { ChallengeAlgorithm, type ChallengeVpd } from '../../src/replica-protocol/index.js';
import type { RemoteLun } from '../../src/verify/remote-lun.js';

vi.mock('../../src/block/digest.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/block/digest.js')>()),
  DIGEST_ALGORITHMS: ['sha256'],
}));

const { runVerify } = await import('../../src/verify/run.js');
const { verifyVolumes } = await import('../../src/verify/engine.js');

describe('--algorithm xxh3 unavailable', () => {
  it('this build lacks it: one-line usage error (exit 2 in the CLI), before connecting', async () => {
    // Port 1 refuses connections: reaching it would fail differently.
    const attempt = runVerify({ source: '/nonexistent.img', replica: 'iscsi://127.0.0.1:1/iqn.2026-11.io.tandem:x/0', algorithm: 'xxh3' });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(/^--algorithm xxh3: this build of tandem lacks it \(its addon was built without libxxhash-dev\)$/);
  });

  it('a replica that does not advertise it: a usage error naming the replica and what it offers', async () => {
    const vpd = { algorithms: [0], maxExtentBlocks: 16384, maxEntriesPerList: 1024, maxListsPerNexus: 8 } as ChallengeVpd;
    const end = (describe: string, algorithms: number[]) =>
      ({ describe, algorithms, vpd, blockSize: 512, totalBlocks: 128, sizeBytes: 65536, answers: () => Promise.reject(new Error('no challenge expected')) }) as unknown as RemoteLun;
    const attempt = verifyVolumes({ reference: end('source', [0, 1]), replica: end('iscsi://r/iqn.r/0', [0]), algorithm: ChallengeAlgorithm.XXH3_128 });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow('--algorithm xxh3: replica iscsi://r/iqn.r/0 does not support it (it offers sha256)');
  });
});
