/**
 * `direct` on a LUN (O_DIRECT, tgt's bsoflags=direct): the flag and config forms, the refusal
 * on an RBD image, and the image really opened O_DIRECT — every descriptor the store holds
 * on it that reads or writes, its sync descriptors included (the write-back witness, read-only
 * and never reading, need not be) — with the data of unaligned buffers landing intact.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLunStore } from '../../src/cli/lun-store.js';
import { buildServeSettings, parseLun } from '../../src/cli/serve-options.js';
import type { LunConfig } from '../../src/cli/serve-config.js';
import { configWithLuns } from './config-with-luns.js';

const O_DIRECT = 0o40000;
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'tandem-direct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The open flags of each of this process's read-write descriptors on `path`. */
function readWriteFlags(path: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the read (readdir's own descriptor)
    }
    if (target !== path) continue;
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    const f = parseInt(m![1]!, 8);
    if ((f & 3) === 2) flags.push(f); // O_RDWR
  }
  return flags;
}

function configLun(lun: unknown): LunConfig {
  return buildServeSettings({ config: configWithLuns([lun]) }).targets[0]!.luns[0]!;
}

describe('a LUN served with direct', () => {
  it('--lun PATH,direct sets it; a value is refused; off by default', () => {
    expect(parseLun('/x.img,size=1G,direct')).toMatchObject({ path: '/x.img', direct: true });
    expect(parseLun('/x.img')).not.toHaveProperty('direct');
    expect(() => parseLun('/x.img,direct=yes')).toThrow(/unknown or malformed option "direct=yes".*direct,/);
  });

  it('"direct": true in the config file; anything but a boolean is one line', () => {
    expect(configLun({ path: '/x.img', direct: true })).toMatchObject({ direct: true });
    expect(configLun({ path: '/x.img', direct: false })).not.toHaveProperty('direct');
    expect(() => configLun({ path: '/x.img', direct: 'yes' })).toThrow(/luns\[0\]\.direct must be true or false/);
  });

  it('is refused on an RBD image, in either form, naming where', () => {
    expect(() => parseLun('rbd:pool/img,direct')).toThrow('--lun rbd:pool/img: direct applies to a file or block device, not an RBD image (set rbd_cache in ceph.conf)');
    expect(() => configLun({ path: 'rbd:pool/img', direct: true })).toThrow(/--config: targets\[0\]\.luns\[0\]: direct applies to a file or block device, not an RBD image/);
  });

  it('opens every read-write descriptor on the image O_DIRECT, and unaligned buffers land intact', async () => {
    const path = join(dir, 'direct.img');
    const store = await openLunStore({ path, size: 4 * MiB, readOnly: false, blockSize: 512, direct: true }, join(dir, 'direct.img.tandem'));
    try {
      const flags = readWriteFlags(path);
      expect(flags.length).toBeGreaterThan(0);
      for (const f of flags) expect(f & O_DIRECT).toBe(O_DIRECT);
      // A view at an odd address, as a write's data is inside the socket read it came in.
      const data = Buffer.alloc(8192 + 3).subarray(3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 1) & 0xff;
      await store.write(data, 3 * 512, true);
      await store.flush();
      const back = Buffer.alloc(data.length + 1).subarray(1);
      await store.read(back, 3 * 512);
      expect(back.equals(data)).toBe(true);
    } finally {
      await store.close();
    }
    expect(readFileSync(path).subarray(3 * 512, 3 * 512 + 8192).equals(Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7 + 1) & 0xff)))).toBe(true);

    const plain = await openLunStore({ path, readOnly: false, blockSize: 512 }, join(dir, 'direct.img.tandem'));
    try {
      const flags = readWriteFlags(path);
      expect(flags.length).toBeGreaterThan(0);
      for (const f of flags) expect(f & O_DIRECT).toBe(0);
    } finally {
      await plain.close();
    }
  });
});
