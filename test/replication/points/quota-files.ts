/**
 * node:fs with a disk of `quota` bytes: each file's allocated 4 KiB pages are counted (a
 * write allocates the pages it touches, truncation and unlinking free them), and a write
 * that would allocate beyond the quota fails with ENOSPC, writing nothing, as a full file
 * system answers. `quota` can be changed at any time (the disk fills up, or is freed).
 */
import type { DurableFile, DurableFiles } from '../../../src/block/durable-file.js';
import { nodeFiles } from '../../../src/block/durable-file.js';

const PAGE = 4096;

export class QuotaFiles implements DurableFiles {
  private readonly pages = new Map<string, Set<number>>();

  constructor(public quota: number) {}

  get used(): number {
    let n = 0;
    for (const p of this.pages.values()) n += p.size * PAGE;
    return n;
  }

  async open(path: string, flags: 'r+' | 'w+' | 'w' | 'a+', mode?: number): Promise<DurableFile> {
    const fh = await nodeFiles.open(path, flags, mode);
    if (flags === 'w' || flags === 'w+') this.pages.set(path, new Set());
    const allocate = (offset: number, length: number) => {
      const own = this.pages.get(path) ?? new Set<number>();
      const fresh: number[] = [];
      for (let p = Math.floor(offset / PAGE); p < Math.ceil((offset + length) / PAGE); p++) if (!own.has(p)) fresh.push(p);
      if (this.used + fresh.length * PAGE > this.quota) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
      for (const p of fresh) own.add(p);
      this.pages.set(path, own);
    };
    return {
      read: (b, o, l, p) => fh.read(b, o, l, p),
      write: async (b, o, l, p) => {
        allocate(p, l);
        return fh.write(b, o, l, p);
      },
      writev: async (bs, p) => {
        allocate(p, bs.reduce((n, b) => n + b.length, 0));
        return fh.writev(bs, p);
      },
      writeFile: async (d) => {
        allocate(0, typeof d === 'string' ? Buffer.byteLength(d) : d.length);
        return fh.writeFile(d);
      },
      truncate: async (length) => {
        const own = this.pages.get(path);
        if (own) for (const p of [...own]) if (p * PAGE >= length) own.delete(p);
        return fh.truncate(length);
      },
      datasync: () => fh.datasync(),
      sync: () => fh.sync(),
      stat: () => fh.stat(),
      close: () => fh.close(),
    };
  }

  stat = nodeFiles.stat;
  readFile = nodeFiles.readFile;
  mkdir = nodeFiles.mkdir;
  syncDir = nodeFiles.syncDir;

  async rename(from: string, to: string): Promise<void> {
    await nodeFiles.rename(from, to);
    this.pages.set(to, this.pages.get(from) ?? new Set());
    this.pages.delete(from);
  }

  async unlink(path: string): Promise<void> {
    await nodeFiles.unlink(path);
    this.pages.delete(path);
  }
}
