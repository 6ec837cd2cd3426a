/**
 * tgtd (Debian `tgt`) as the reference target. It keeps its configuration in memory only,
 * so every (re)start replays the tgtadm commands. It ignores SIGTERM: stop means SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { freePort, waitForPort } from '../../../tools/harness/ports.js';
import { ensureSparseFile, exited, run, stopChild } from './process.js';
import type { TargetSpec, TargetTraits, TargetUnderTest } from './target-under-test.js';

const host = '127.0.0.1';

export async function launchTgtd(spec: TargetSpec): Promise<TargetUnderTest> {
  if (spec.extraArgs?.length) throw new Error('tgtd takes no extra tandem serve flags (extraArgs): the scenario is Tandem\'s alone');
  const port = spec.port ?? (await freePort(host));
  // tgtd's control socket is per "-C N"; derive N from the port so instances do not collide.
  const control = String(1000 + (port % 8000));
  let child: ChildProcess | undefined;

  const adm = (...args: string[]): void => {
    run('tgtadm', ['-C', control, '--lld', 'iscsi', ...args]);
  };

  const start = async (): Promise<void> => {
    for (const lun of spec.luns) ensureSparseFile(lun.path, lun.sizeBytes);
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const out = openSync(spec.logFile, 'a');
    const proc = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=${host}:${port}`], { stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    await waitForPort(host, port, 20_000, () => !exited(proc));
    adm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', spec.iqn);
    spec.luns.forEach((lun, i) => {
      const n = String(i + 1);
      adm('--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', n, '-b', lun.path);
      // Thin provisioning makes tgtd honour UNMAP by punching holes in the file.
      adm('--op', 'update', '--mode', 'logicalunit', '--tid', '1', '--lun', n, '--params', 'thin_provisioning=1');
      if (lun.readonly) adm('--op', 'update', '--mode', 'logicalunit', '--tid', '1', '--lun', n, '--params', 'readonly=1');
    });
    if (spec.chap) {
      adm('--op', 'new', '--mode', 'account', '--user', spec.chap.user, '--password', spec.chap.secret);
      adm('--op', 'bind', '--mode', 'account', '--tid', '1', '--user', spec.chap.user);
    }
    if (spec.mutualChap) {
      adm('--op', 'new', '--mode', 'account', '--user', spec.mutualChap.user, '--password', spec.mutualChap.secret);
      adm('--op', 'bind', '--mode', 'account', '--tid', '1', '--user', spec.mutualChap.user, '--outgoing');
    }
    adm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
  };

  const kill = async (): Promise<void> => {
    if (child) await stopChild(child, 'SIGKILL');
  };

  await start();
  const traits: TargetTraits = { unmapReleasesSpace: true, logsAuthFailures: false };
  return {
    kind: 'tgtd',
    traits,
    spec,
    port,
    lunNumbers: spec.luns.map((_, i) => i + 1),
    reportedLuns: [0, ...spec.luns.map((_, i) => i + 1)],
    get pid() {
      return child && !exited(child) ? child.pid : undefined;
    },
    alive: () => child !== undefined && !exited(child),
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
    log: () => readFileSync(spec.logFile, 'utf8'),
  };
}
