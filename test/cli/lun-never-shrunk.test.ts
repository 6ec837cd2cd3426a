/** A LUN file larger than its size= is served whole, never cut, and the server says so once. */
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLunStore } from '../../src/cli/lun-store.js';
import { captureLogger } from '../target/login/helpers.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'tandem-shrink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('size= below the LUN file', () => {
  it('keeps the file whole and logs lun-not-shrunk; a larger size= grows it without a word', async () => {
    const path = join(dir, 'disk.img');
    writeFileSync(path, '');
    truncateSync(path, 8 * MiB);
    const { logger, lines } = captureLogger();
    const base = { path, readOnly: false, blockSize: 512 as const };
    const kept = await openLunStore({ ...base, size: 4 * MiB }, join(dir, 'disk.img.tandem'), logger);
    expect(kept.size).toBe(8 * MiB);
    await kept.close();
    expect(statSync(path).size).toBe(8 * MiB);
    expect(lines().filter((l) => l.event === 'lun-not-shrunk')).toEqual([expect.objectContaining({ lun: path, size: 8 * MiB, asked: 4 * MiB })]);

    const grown = await openLunStore({ ...base, size: 16 * MiB }, join(dir, 'disk.img.tandem'), logger);
    expect(grown.size).toBe(16 * MiB);
    await grown.close();
    expect(lines().filter((l) => l.event === 'lun-not-shrunk')).toHaveLength(1);
  });
});
