/**
 * One writer per image, as QEMU's image locking: a second writable open of an image another
 * holder has open for writing is refused (EBUSY, one line naming it), a read-only open is
 * not (verify reads a served image), and the lock goes with its holder — a close, or a
 * process killed outright, leaves no stale lock behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

const ADDON = new URL('../../build/Release/tandem_native.node', import.meta.url).pathname;

describe('the image write lock', () => {
  const temp = makeTempDir('fs-lock');
  afterAll(() => temp.remove());

  it('refuses a second writer, admits readers, and is released at close', async () => {
    const path = temp.file('held.img');
    const holder = await FileBlockStore.open({ path, size: 1 << 20 });
    try {
      const err = await FileBlockStore.open({ path }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EBUSY', message: `${path} is in use: another process has it open for writing (a second tandem serve?)` });
      const reader = await FileBlockStore.open({ path, readOnly: true });
      await reader.close();
    } finally {
      await holder.close();
    }
    const next = await FileBlockStore.open({ path });
    await next.close();
  });

  it('is released when its holder is killed', async () => {
    const path = temp.file('killed.img');
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
    const script = `const n = require(${JSON.stringify(ADDON)}); n.open(${JSON.stringify(path)}, {}); console.log('held'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(line.toString()).toBe('held\n');
      await expect(FileBlockStore.open({ path })).rejects.toMatchObject({ code: 'EBUSY' });
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const after = await FileBlockStore.open({ path });
    await after.close();
  });
});
