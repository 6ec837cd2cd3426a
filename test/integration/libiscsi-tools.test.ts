import { randomBytes, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startLiveTarget, type LiveTarget } from './helpers.js';

let t: LiveTarget;
beforeAll(async () => {
  t = await startLiveTarget({ lunSpecs: ['disk0.img,size=64M', 'disk1.img,size=32M,blocksize=4096'] });
});
afterAll(async () => {
  await t?.close();
});

describe('libiscsi tools against a live target', () => {
  it('iscsi-ls -s discovers the target and both LUNs with their sizes', async () => {
    const { stdout } = await run('iscsi-ls', ['-s', `iscsi://127.0.0.1:${t.port}`]);
    expect(stdout).toContain(t.iqn);
    // iscsi-ls multiplies the last LBA (not the block count) by the block size: 64 MiB shows as 63M.
    expect(stdout).toMatch(/Lun:0\s+Type:DIRECT_ACCESS \(Size:63M\)/);
    expect(stdout).toMatch(/Lun:1\s+Type:DIRECT_ACCESS \(Size:31M\)/);
  });

  it('iscsi-inq reads standard INQUIRY and the supported VPD pages', async () => {
    const std = await run('iscsi-inq', [t.url(0)]);
    expect(std.stdout).toMatch(/Peripheral Device Type:DIRECT_ACCESS/);
    expect(std.stdout).toMatch(/Removable:0/);
    const vpd = await run('iscsi-inq', ['-e', '1', '-c', '0', t.url(0)]);
    for (const page of ['0x80 UNIT_SERIAL_NUMBER', '0x83 DEVICE_IDENTIFICATION', '0xb0 BLOCK_LIMITS', '0xb2 LOGICAL_BLOCK_PROVISIONING', '0xc0']) {
      expect(vpd.stdout).toContain(`Page:${page}`);
    }
  });

  it('iscsi-readcapacity16 reports block count and size', async () => {
    const { stdout } = await run('iscsi-readcapacity16', [t.url(1)]);
    expect(stdout).toMatch(/LOGICAL BLOCK LENGTH IN BYTES:4096/);
    expect(stdout).toMatch(/RETURNED LOGICAL BLOCK ADDRESS:8191/);
    expect(stdout).toMatch(/LBPME:1 LBPRZ:1/);
  });

  it('qemu-img convert writes an image in and reads it back out through another session', async () => {
    const src = join(t.dir, 'src.raw');
    const back = join(t.dir, 'back.raw');
    const data = randomBytes(8 * 1024 * 1024);
    writeFileSync(src, data);
    await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, t.url(0)]);
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', t.url(0), back]);
    const out = readFileSync(back);
    expect(out.length).toBe(64 * 1024 * 1024);
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(digest(out.subarray(0, data.length))).toBe(digest(data));
    expect(out.subarray(data.length).every((b) => b === 0)).toBe(true);
  });
});
