/**
 * Two Tandem targets in this process, each serving one image file from a temp dir: a
 * source and a replica that start as byte-identical copies except for chosen chunks.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { setLogLevel } from '../../src/util/log.js';

export interface LiveImage {
  path: string;
  url: string;
  server: RunningServer;
}

export interface LivePair {
  dir: string;
  source: LiveImage;
  replica: LiveImage;
  close(): Promise<void>;
}

/** Fills `path` (sparse, `size` bytes) with random data in `pattern`-sized repeats: cheap, yet no two neighbouring chunks alike. */
export function writeRandomImage(path: string, size: number, patternBytes = 16 * 1024 * 1024 + 4096): void {
  const pattern = randomBytes(patternBytes);
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < size; at += pattern.length) writeSync(fd, pattern, 0, Math.min(pattern.length, size - at), at);
  } finally {
    closeSync(fd);
  }
}

/** Overwrites `length` bytes at `offset` with fresh random bytes that differ from the old ones. */
export function scribble(path: string, offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    const old = Buffer.alloc(length);
    readSync(fd, old, 0, length, offset);
    const fresh = randomBytes(length);
    // A few random bytes can equal what was there (7 bytes: 2^-56), and then no chunk differs.
    if (fresh.equals(old)) fresh[0] = old[0]! ^ 0xff;
    writeSync(fd, fresh, 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

async function serveImage(path: string, size: number, iqn: string): Promise<LiveImage> {
  const server = await startServer(buildServeSettings({ iqn, lun: [`${path},size=${size}`], listen: ['127.0.0.1:0'], logLevel: 'warn' }));
  const port = Number(server.addresses[0]!.split(':').pop());
  return { path, server, url: `iscsi://127.0.0.1:${port}/${iqn}/0` };
}

/** `prepare(sourcePath, replicaPath)` runs after the replica is copied from the source, before serving. */
export async function startLivePair(size: number, prepare: (source: string, replica: string) => void): Promise<LivePair> {
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-verify-'));
  const sourcePath = join(dir, 'source.img');
  const replicaPath = join(dir, 'replica.img');
  writeRandomImage(sourcePath, size);
  copyFileSync(sourcePath, replicaPath);
  prepare(sourcePath, replicaPath);
  const source = await serveImage(sourcePath, size, 'iqn.2026-11.io.tandem:verify-source');
  let replica: LiveImage;
  try {
    replica = await serveImage(replicaPath, size, 'iqn.2026-11.io.tandem:verify-replica');
  } catch (e) {
    await source.server.close();
    throw e;
  }
  return {
    dir,
    source,
    replica,
    async close() {
      await Promise.allSettled([source.server.close(), replica.server.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
