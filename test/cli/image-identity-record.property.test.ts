/**
 * The image record (image.json) of a replicated file LUN: the image it recorded passes every
 * later check; another file in its place is refused; and whatever the record file holds, the
 * check passes or refuses with one ReplicaSetupError line — never another exception.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_RECORD_FILE, checkImageIdentity } from '../../src/cli/image-identity.js';
import { ReplicaSetupError } from '../../src/cli/replica-setup-error.js';
import type { LunConfig } from '../../src/cli/serve-config.js';

const root = mkdtempSync(join(tmpdir(), 'tandem-image-record-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the image record', () => {
  it('the recorded image always passes; a new file in its place is refused', async () => {
    const metaDir = mkdtempSync(join(root, 'meta-'));
    const lun: LunConfig = { path: join(root, 'disk.img'), readOnly: false, blockSize: 512 };
    writeFileSync(lun.path, Buffer.alloc(4096));
    await checkImageIdentity(lun, metaDir);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 3 }), async (checks) => {
        for (let i = 0; i <= checks; i++) await checkImageIdentity(lun, metaDir);
      }),
      { numRuns: 10 },
    );
    // Another file under the same name, created while the first still exists (so it cannot reuse its inode).
    const other = join(root, 'other.img');
    writeFileSync(other, Buffer.alloc(4096));
    await expect(checkImageIdentity({ ...lun, path: other }, metaDir)).rejects.toThrow(ReplicaSetupError);
    unlinkSync(other);
  });

  it('any record content: the check passes or refuses in one line', async () => {
    const lun: LunConfig = { path: join(root, 'any.img'), readOnly: false, blockSize: 512 };
    writeFileSync(lun.path, Buffer.alloc(512));
    const metaDir = mkdtempSync(join(root, 'meta-any-'));
    const record = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.json({ maxDepth: 2 }),
      fc.record({ ino: fc.oneof(fc.nat(), fc.string({ maxLength: 4 })), birthtimeMs: fc.oneof(fc.constant(0), fc.nat(), fc.constant(null)) }, { requiredKeys: [] }).map((r) => JSON.stringify(r)),
    );
    await fc.assert(
      fc.asyncProperty(record, async (text) => {
        writeFileSync(join(metaDir, IMAGE_RECORD_FILE), text);
        try {
          await checkImageIdentity(lun, metaDir);
        } catch (e) {
          expect(e).toBeInstanceOf(ReplicaSetupError);
          expect((e as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});
