/**
 * An in-memory DurableFiles that forgets at a power loss what was never made durable, with
 * the contract src/util/durable-file.ts documents (and nothing more):
 * - a write, writev, writeFile or truncate changes the file when it completes; it becomes
 *   durable once a sync/datasync of the file, issued after it completed, completes;
 * - creating a file (open 'w'/'w+'/'a+'), rename and unlink change the directory when they
 *   complete; they become durable once a syncDir of the directory, issued after they
 *   completed, completes (a file's own sync does NOT make its name durable); rename is atomic;
 * - mkdir is durable at once (the engine does not sync its directories' parents).
 * `crash()` returns the file system as it comes back: with `keep: 'none'` only what is
 * durable; with `keep: 'some'` also a random subset, in order, of the directory changes not
 * yet durable, and of the data changes (writes torn at 512-byte sectors).
 */
import { posix } from 'node:path';
import type { BlockDevice } from '../../src/block/device.js';
import type { DurableFile, DurableFiles, OpenFlags } from '../../src/block/durable-file.js';
import { PowerLossBlockStore, type CrashOptions } from './power-loss-store.js';
import { never, onPlace, randomBelow, type Rng, type SimPlace } from './sim-scheduler.js';

const SECTOR = 512;

interface Mutation {
  seq: number;
  kind: 'write' | 'truncate';
  pos: number;
  data: Buffer;
  size: number;
}

class Inode {
  data: Buffer = Buffer.alloc(0);
  dur: Buffer = Buffer.alloc(0);
  /** Applied, not yet durable, in seq order. */
  pending: Mutation[] = [];
  /** Issued, not yet applied. */
  readonly inflight = new Set<Mutation>();
}

interface DirOp {
  seq: number;
  dir: string;
  what: string;
  apply(names: Map<string, Inode>): void;
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

function applyMutation(buf: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') {
    if (m.size <= buf.length) return Buffer.from(buf.subarray(0, m.size));
    return Buffer.concat([buf, Buffer.alloc(m.size - buf.length)]);
  }
  const end = m.pos + m.data.length;
  const out = end > buf.length ? Buffer.concat([buf, Buffer.alloc(end - buf.length)]) : Buffer.from(buf);
  m.data.copy(out, m.pos);
  return out;
}

export class PowerLossFiles implements DurableFiles {
  private names = new Map<string, Inode>();
  private durNames = new Map<string, Inode>();
  private readonly dirs = new Set<string>(['/']);
  private dirOps: DirOp[] = [];
  private seq = 0;
  private dead = false;
  /** Syncs completed (files and directories), for assertions. */
  syncs = 0;

  constructor(private readonly place?: SimPlace) {}

  open(path: string, flags: OpenFlags, _mode?: number): Promise<DurableFile> {
    path = posix.normalize(path);
    return this.op(`open ${path}`, () => {
      if (!this.dirs.has(posix.dirname(path))) throw errno('ENOENT', `no directory for ${path}`);
      let inode = this.names.get(path);
      if (!inode) {
        if (flags === 'r+') throw errno('ENOENT', `open ${path}`);
        inode = new Inode();
        this.link(path, inode, 'create');
      } else if (flags === 'w' || flags === 'w+') {
        this.mutate(inode, { kind: 'truncate', pos: 0, data: Buffer.alloc(0), size: 0 });
      }
      return new MemFile(this, inode, path);
    });
  }

  stat(path: string): Promise<{ size: number }> {
    path = posix.normalize(path);
    return this.op(`stat ${path}`, () => {
      const inode = this.names.get(path);
      if (!inode) throw errno('ENOENT', `stat ${path}`);
      return { size: inode.data.length };
    });
  }

  readFile(path: string): Promise<Buffer> {
    path = posix.normalize(path);
    return this.op(`readFile ${path}`, () => {
      const inode = this.names.get(path);
      if (!inode) throw errno('ENOENT', `open ${path}`);
      return Buffer.from(inode.data);
    });
  }

  rename(from: string, to: string): Promise<void> {
    from = posix.normalize(from);
    to = posix.normalize(to);
    return this.op(`rename ${from} ${to}`, () => {
      const inode = this.names.get(from);
      if (!inode) throw errno('ENOENT', `rename ${from}`);
      if (posix.dirname(from) !== posix.dirname(to)) throw errno('EXDEV', 'the model renames within one directory');
      const apply = (names: Map<string, Inode>) => {
        names.delete(from);
        names.set(to, inode);
      };
      apply(this.names);
      this.dirOps.push({ seq: ++this.seq, dir: posix.dirname(to), what: `rename ${from} ${to}`, apply });
    });
  }

  unlink(path: string): Promise<void> {
    path = posix.normalize(path);
    return this.op(`unlink ${path}`, () => {
      if (!this.names.has(path)) throw errno('ENOENT', `unlink ${path}`);
      const apply = (names: Map<string, Inode>) => names.delete(path);
      apply(this.names);
      this.dirOps.push({ seq: ++this.seq, dir: posix.dirname(path), what: `unlink ${path}`, apply });
    });
  }

  async mkdir(path: string): Promise<void> {
    if (this.dead) return never();
    for (let p = posix.normalize(path); !this.dirs.has(p); p = posix.dirname(p)) this.dirs.add(p);
  }

  syncDir(path: string): Promise<void> {
    path = posix.normalize(path);
    if (this.dead) return never();
    const upTo = this.seq;
    return this.op(`syncDir ${path}`, () => {
      if (!this.dirs.has(path)) throw errno('ENOENT', `open ${path}`);
      const keep: DirOp[] = [];
      for (const d of this.dirOps) {
        if (d.dir === path && d.seq <= upTo) d.apply(this.durNames);
        else keep.push(d);
      }
      this.dirOps = keep;
      this.syncs++;
    });
  }

  /** The scratch is a plain (forgetting) device beside the files: it dies with them. */
  async openScratch(path: string, size: number): Promise<BlockDevice> {
    if (this.dead) return never();
    return new PowerLossBlockStore({ size, path, ...(this.place ? { place: this.place } : {}) });
  }

  // ---- for tests ------------------------------------------------------------

  /** A file's current content (what reads see), synchronously; undefined when absent. */
  peek(path: string): Buffer | undefined {
    const inode = this.names.get(posix.normalize(path));
    return inode ? Buffer.from(inode.data) : undefined;
  }

  /** Names that exist now. */
  list(): string[] {
    return [...this.names.keys()].sort();
  }

  /**
   * Power loss: this file system is dead from now on (its operations never complete) and
   * the returned one holds what survived, all of it durable.
   */
  crash(options: CrashOptions): PowerLossFiles {
    this.dead = true;
    return this.survivor(options);
  }

  /** What a power loss now would leave, while this file system goes on (a look, not a crash). */
  survivor(options: CrashOptions): PowerLossFiles {
    const rng = options.rng;
    if (options.keep === 'some' && !rng) throw new Error("keep 'some' needs an rng");
    const names = new Map(this.durNames);
    if (options.keep === 'some') for (const d of this.dirOps) if (randomBelow(rng!, 2) === 1) d.apply(names);
    const next = new PowerLossFiles(options.place);
    for (const d of this.dirs) next.dirs.add(d);
    const copies = new Map<Inode, Inode>();
    for (const [path, inode] of names) {
      let copy = copies.get(inode);
      if (!copy) {
        copy = new Inode();
        copy.data = options.keep === 'some' ? survivingContent(inode, rng!) : Buffer.from(inode.dur);
        copy.dur = Buffer.from(copy.data);
        copies.set(inode, copy);
      }
      next.names.set(path, copy);
      next.durNames.set(path, copy);
    }
    return next;
  }

  // ---- internals (MemFile uses them) ------------------------------------------

  op<T>(label: string, effect: () => T): Promise<T> {
    if (this.dead) return never();
    return onPlace(this.place, label, effect);
  }

  /** Issues a data change now; it is applied at its step. */
  change(inode: Inode, label: string, m: Omit<Mutation, 'seq'>): Promise<void> {
    if (this.dead) return never();
    const issued: Mutation = { ...m, seq: 0 };
    inode.inflight.add(issued);
    return this.op(label, () => {
      inode.inflight.delete(issued);
      this.apply(inode, issued);
    });
  }

  /** Applies a data change at once (inside a step). */
  mutate(inode: Inode, m: Omit<Mutation, 'seq'>): void {
    this.apply(inode, { ...m, seq: 0 });
  }

  sync(inode: Inode, label: string): Promise<void> {
    if (this.dead) return never();
    const upTo = this.seq;
    return this.op(label, () => {
      const keep: Mutation[] = [];
      for (const m of inode.pending) {
        if (m.seq <= upTo) inode.dur = applyMutation(inode.dur, m);
        else keep.push(m);
      }
      inode.pending = keep;
      this.syncs++;
    });
  }

  private apply(inode: Inode, m: Mutation): void {
    m.seq = ++this.seq;
    inode.data = applyMutation(inode.data, m);
    inode.pending.push(m);
  }

  private link(path: string, inode: Inode, what: string): void {
    const apply = (names: Map<string, Inode>) => names.set(path, inode);
    apply(this.names);
    this.dirOps.push({ seq: ++this.seq, dir: posix.dirname(path), what: `${what} ${path}`, apply });
  }
}

/** The durable content plus a random subset, in order, of the changes not yet durable (writes torn at sectors). */
function survivingContent(inode: Inode, rng: Rng): Buffer {
  let data: Buffer = Buffer.from(inode.dur);
  for (const m of [...inode.pending, ...inode.inflight]) {
    if (m.kind === 'truncate') {
      if (randomBelow(rng, 2) === 1) data = applyMutation(data, m);
      continue;
    }
    const end = m.pos + m.data.length;
    for (let from = m.pos; from < end; ) {
      const to = Math.min(end, (Math.floor(from / SECTOR) + 1) * SECTOR);
      if (randomBelow(rng, 2) === 1) data = applyMutation(data, { ...m, pos: from, data: m.data.subarray(from - m.pos, to - m.pos) });
      from = to;
    }
  }
  return data;
}

class MemFile implements DurableFile {
  private closed = false;

  constructor(
    private readonly fs: PowerLossFiles,
    private readonly inode: Inode,
    private readonly path: string,
  ) {}

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.fs.op(`read ${this.path}`, () => {
      this.check();
      const n = Math.max(0, Math.min(length, this.inode.data.length - position));
      this.inode.data.copy(buffer, offset, position, position + n);
      return { bytesRead: n };
    });
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    this.check();
    await this.fs.change(this.inode, `write ${this.path}@${position}`, { kind: 'write', pos: position, data: Buffer.from(buffer.subarray(offset, offset + length)), size: 0 });
    return { bytesWritten: length };
  }

  async writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    this.check();
    const data = Buffer.concat(buffers);
    await this.fs.change(this.inode, `writev ${this.path}@${position}`, { kind: 'write', pos: position, data, size: 0 });
    return { bytesWritten: data.length };
  }

  async writeFile(data: Uint8Array | string): Promise<void> {
    this.check();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    await this.fs.change(this.inode, `truncate ${this.path}`, { kind: 'truncate', pos: 0, data: Buffer.alloc(0), size: 0 });
    await this.fs.change(this.inode, `writeFile ${this.path}`, { kind: 'write', pos: 0, data: bytes, size: 0 });
  }

  async truncate(length: number): Promise<void> {
    this.check();
    await this.fs.change(this.inode, `truncate ${this.path}`, { kind: 'truncate', pos: 0, data: Buffer.alloc(0), size: length });
  }

  async datasync(): Promise<void> {
    this.check();
    await this.fs.sync(this.inode, `datasync ${this.path}`);
  }

  async sync(): Promise<void> {
    this.check();
    await this.fs.sync(this.inode, `fsync ${this.path}`);
  }

  stat(): Promise<{ size: number }> {
    return this.fs.op(`fstat ${this.path}`, () => ({ size: this.inode.data.length }));
  }

  close(): Promise<void> {
    return this.fs.op(`close ${this.path}`, () => {
      this.closed = true;
    });
  }

  private check(): void {
    if (this.closed) throw errno('EBADF', `${this.path} is closed`);
  }
}
