import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

// Reads and writes issued in one tick share threadpool jobs; each must still settle on its own.
describe('FileBlockStore small I/O issued together', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let store: FileBlockStore;
  beforeAll(async () => {
    dir = makeTempDir('batched');
    store = await FileBlockStore.open({ path: dir.file('disk.img'), size: 1 << 20 });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('completes 100 concurrent 4 KiB writes and reads with the right data', async () => {
    const payloads = Array.from({ length: 100 }, () => randomBytes(4096));
    await Promise.all(payloads.map((p, i) => store.write(p, i * 4096, i % 7 === 0)));
    const backs = payloads.map(() => Buffer.alloc(4096));
    await Promise.all(backs.map((b, i) => store.read(b, i * 4096)));
    backs.forEach((b, i) => expect(b.equals(payloads[i]!)).toBe(true));
  });

  it('rejects an out-of-range request without failing the ones queued with it', async () => {
    const [good, bad] = await Promise.allSettled([
      store.write(Buffer.alloc(4096, 7), 0),
      store.read(Buffer.alloc(4096), 1 << 20),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'EINVAL' } });
  });
});
