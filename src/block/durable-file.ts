/**
 * The file operations the replication engine's metadata (staging journal, delta table,
 * identity, a backup's staged pass log) is written with, and what each promises about
 * durability. The default, `nodeFiles`, is node:fs/promises itself (a FileHandle is a
 * DurableFile as it is), so production code pays nothing for the indirection; tests pass a
 * file system that forgets, at a simulated power loss, whatever was not synced.
 *
 * The contract the engine relies on (and the test file system enforces):
 * - data written to a file is durable once a `sync`/`datasync` issued after the write
 *   completed has completed (size changes by `truncate` and by writes past the end too);
 * - creating, renaming and unlinking a name is durable only once a `syncDir` of its
 *   directory, issued after the change completed, has completed; a rename is atomic;
 * - directories made by `mkdir` are assumed durable (their parents are not the engine's).
 */
import * as fsp from 'node:fs/promises';
import type { BlockDevice } from './device.js';

/** An open file: the subset of node's FileHandle the engine uses. */
export interface DurableFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  /** Replaces the whole content (a file just opened with 'w'). */
  writeFile(data: Uint8Array | string): Promise<void>;
  truncate(length: number): Promise<void>;
  /** Data (and the size) durable. */
  datasync(): Promise<void>;
  /** Data and metadata durable. */
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export type OpenFlags = 'r+' | 'w+' | 'w' | 'a+';

export interface DurableFiles {
  open(path: string, flags: OpenFlags, mode?: number): Promise<DurableFile>;
  /** Rejects with code ENOENT when there is no such file. */
  stat(path: string): Promise<{ size: number }>;
  /** Rejects with code ENOENT when there is no such file. */
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** mkdir -p. */
  mkdir(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, unlinks) durable. */
  syncDir(path: string): Promise<void>;
  /**
   * A device file whose content need not survive a crash (a delta pass's copy-on-write
   * scratch). Absent: a sparse FileBlockStore at `path`.
   */
  openScratch?(path: string, size: number): Promise<BlockDevice>;
}

/** node:fs/promises, exactly as the engine used it before this interface existed. */
export const nodeFiles: DurableFiles = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  stat: (path) => fsp.stat(path),
  readFile: (path) => fsp.readFile(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  syncDir: async (path) => {
    const dh = await fsp.open(path, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  },
};
