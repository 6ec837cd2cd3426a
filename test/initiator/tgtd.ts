/** Starts a private tgtd (random portal port and control number) for interop tests. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TgtdOptions {
  iqn: string;
  lunBytes: number;
  chap?: { user: string; secret: string };
  mutualChap?: { user: string; secret: string };
}

export interface RunningTgtd {
  port: number;
  iqn: string;
  imagePath: string;
  tgtadm(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function tgtdAvailable(): boolean {
  try {
    return existsSync('/usr/sbin/tgtd');
  } catch {
    return false;
  }
}

export async function startTgtd(options: TgtdOptions): Promise<RunningTgtd> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-initiator-tgtd-'));
  const imagePath = join(dir, 'disk.img');
  await writeFile(imagePath, '');
  await truncate(imagePath, options.lunBytes);
  const port = await freePort();
  const control = String(20_000 + Math.floor(Math.random() * 12_000));
  const child: ChildProcess = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=127.0.0.1:${port}`], { stdio: 'ignore' });
  const tgtadm = async (...args: string[]): Promise<string> => (await run('tgtadm', ['-C', control, '--lld', 'iscsi', ...args])).stdout;
  const stop = async (): Promise<void> => {
    // tgtd ignores SIGTERM.
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      try {
        await tgtadm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', options.iqn);
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await tgtadm('--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', imagePath);
    await tgtadm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
    if (options.chap) {
      await tgtadm('--op', 'new', '--mode', 'account', '--user', options.chap.user, '--password', options.chap.secret);
      await tgtadm('--op', 'bind', '--mode', 'account', '--tid', '1', '--user', options.chap.user);
    }
    if (options.mutualChap) {
      await tgtadm('--op', 'new', '--mode', 'account', '--user', options.mutualChap.user, '--password', options.mutualChap.secret);
      await tgtadm('--op', 'bind', '--mode', 'account', '--tid', '1', '--user', options.mutualChap.user, '--outgoing');
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, iqn: options.iqn, imagePath, tgtadm, stop };
}

export const TEST_INITIATOR = 'iqn.2024-01.io.tandem.test:client';
