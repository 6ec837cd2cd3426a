/**
 * The build without Ceph: with its probe forced off (TANDEM_NO_RBD=1, as on a machine
 * without librbd-dev/librados-dev) the addon builds, links no Ceph library, still does file
 * I/O, and `tandem serve --lun rbd:...` refuses in one line. Built in a copy of the package,
 * so the tests running beside this one keep their addon.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/native/index.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

describe('an addon built without Ceph RBD support', () => {
  const copy = mkdtempSync(join(tmpdir(), 'tandem-no-rbd-'));
  const addonPath = join(copy, 'build', 'Release', 'tandem_native.node');
  let addon: NativeAddon;

  beforeAll(async () => {
    for (const part of ['package.json', 'binding.gyp', 'native', 'dist']) cpSync(join(root, part), join(copy, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    await run(join(root, 'node_modules', '.bin', 'node-gyp'), ['rebuild', '-j', '2'], { cwd: copy, env: { ...process.env, TANDEM_NO_RBD: '1' } });
    addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
  }, 600_000);

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('the probe answers 0 when forced off', async () => {
    expect((await run('sh', [join(root, 'native', 'has-rbd.sh')], { env: { ...process.env, TANDEM_NO_RBD: '1' } })).stdout).toBe('0\n');
  });

  it('links neither librbd nor librados, and says it has no RBD store', async () => {
    expect((await run('ldd', [addonPath])).stdout).not.toMatch(/librbd|librados/);
    expect(addon.rbdAvailable).toBe(false);
    expect(addon.rbdOpen).toBeUndefined();
  });

  it('still does file I/O', () => {
    const file = join(copy, 'disk.img');
    const opened = addon.open(file, { create: 4096 });
    try {
      expect(opened.size).toBe(4096);
    } finally {
      addon.close(opened.fd);
    }
  });

  it('tandem serve --lun rbd:... exits 2 with one line', async () => {
    const failed = await run(process.execPath, [join(copy, 'dist', 'cli', 'main.js'), 'serve', '--listen', '127.0.0.1:0', '--lun', 'rbd:rbd/disk,size=1G']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({
      code: 2,
      stderr: 'tandem: --lun rbd:rbd/disk: this build has no Ceph RBD support (install librbd-dev librados-dev and rebuild)\n',
    });
  });
});
