/**
 * Failure matrix 7: synchronous continuous mirroring. Once the host has a write's
 * acknowledgement, SIGKILL the primary: the backup image (read straight from its file)
 * already holds the write.
 */
import { randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import { expect, test } from 'vitest';
import { report } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;

const startCluster = clusterPerTest();

function readBackup(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

test('sync: an acknowledged write is on the backup even when the primary is SIGKILLed right after the ack', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'continuous', sync: true });
  await cluster.configSet('healthyForMs', '500ms');
  const s = await cluster.waitContinuous();
  expect(s.flavour).toBe('sync');

  const host = await connectHost(cluster.primary!.port);
  // Several writes in flight together, all acknowledged; the kill follows the last ack at once.
  const writes = Array.from({ length: 8 }, (_, i) => ({ offset: ((i * 37 + 11) % 256) * 64 * 1024 + 4096, data: randomBytes(8192) }));
  await Promise.all(writes.map((w) => host.write16(0, w.offset / BLOCK, w.data)));
  cluster.primary!.child.kill('SIGKILL');
  await cluster.primary!.exited;
  host.destroy();

  for (const w of writes) {
    expect(readBackup(cluster.path('backup.img'), w.offset, w.data.length).equals(w.data), `write at ${w.offset} on the backup`).toBe(true);
  }
  report('sync ack then SIGKILL', { writes: writes.length, onBackup: writes.length });
});
