/**
 * Starts a private tgtd (a free portal port, and that port as its control number) for
 * interop tests. tgtd is an external program (Debian package tgt): without it the tgtd
 * tests skip on a developer's machine, but not where TANDEM_REQUIRE_PEERS=1 (CI): there
 * they run and fail with the reason.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../tools/harness/ports.js';

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

const TGTD = '/usr/sbin/tgtd';

export function tgtdAvailable(): boolean {
  try {
    return existsSync(TGTD);
  } catch {
    return false;
  }
}

/** Whether the environment demands the external peers (tgtd), instead of skipping without them. */
export function peersRequired(): boolean {
  return process.env.TANDEM_REQUIRE_PEERS === '1';
}

/** For `describe.skipIf`: true only when tgtd is missing and not required (says so once per file). */
export function skipWithoutTgtd(): boolean {
  if (tgtdAvailable() || peersRequired()) return false;
  console.warn(`tgtd interop tests skipped: ${TGTD} is not installed (apt-get install tgt); TANDEM_REQUIRE_PEERS=1 makes this a failure`);
  return true;
}

export async function startTgtd(options: TgtdOptions): Promise<RunningTgtd> {
  if (!tgtdAvailable()) throw new Error(`${TGTD} is not installed (apt-get install tgt), and TANDEM_REQUIRE_PEERS=1 requires it`);
  const dir = await mkdtemp(join(tmpdir(), 'tandem-initiator-tgtd-'));
  const imagePath = join(dir, 'disk.img');
  await writeFile(imagePath, '');
  await truncate(imagePath, options.lunBytes);
  const port = await freePort();
  // tgtd's management socket is per "-C N" (N < 32768), and a second tgtd with a live N
  // exits at once. A random N collided now and then between test files running in
  // parallel; the portal port is ours alone while our tgtd listens on it, and ephemeral
  // ports (32768-60999 by default) stay distinct modulo 32768, so it names the socket.
  const control = String(port % 32_768);
  const child: ChildProcess = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=127.0.0.1:${port}`], { stdio: 'ignore' });
  const tgtadm = async (...args: string[]): Promise<string> => (await run('tgtadm', ['-C', control, '--lld', 'iscsi', ...args])).stdout;
  const stop = async (): Promise<void> => {
    // tgtd ignores SIGTERM.
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Wait until the management socket answers, and answers for our tgtd (it serves our portal).
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tgtd -C ${control} exited (${child.exitCode ?? child.signalCode}) while starting`);
      const portals = await tgtadm('--op', 'show', '--mode', 'portal').catch((e: Error) => e.message);
      if (portals.includes(`127.0.0.1:${port},`)) break;
      if (i > 50) throw new Error(`tgtd -C ${control} does not serve portal 127.0.0.1:${port}: ${portals}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await tgtadm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', options.iqn);
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
