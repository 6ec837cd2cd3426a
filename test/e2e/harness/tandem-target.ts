/**
 * Tandem itself, launched from the build (`npm run build` first) through its CLI, exactly as
 * an operator would start it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../../tools/harness/ports.js';
import { exited, stopChild } from './process.js';
import type { TargetSpec, TargetTraits, TargetUnderTest } from './target-under-test.js';
import { SERVE_NODE_OPTIONS } from '../../../src/cli/node-options.js';

const host = '127.0.0.1';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built CLI; E2E_TANDEM_CLI points elsewhere (e.g. a build in another directory). */
export const tandemCli = process.env.E2E_TANDEM_CLI ?? join(repoRoot, 'dist', 'cli', 'main.js');

export function tandemArgs(spec: TargetSpec, port: number): string[] {
  const args = [tandemCli, 'serve', '--listen', `${host}:${port}`, '--iqn', spec.iqn];
  for (const lun of spec.luns) args.push('--lun', `${lun.path},size=${lun.sizeBytes}${lun.readonly ? ',readonly' : ''}`);
  if (spec.chap) args.push('--chap', `${spec.chap.user}:${spec.chap.secret}`);
  if (spec.mutualChap) args.push('--mutual-chap', `${spec.mutualChap.user}:${spec.mutualChap.secret}`);
  if (spec.advertise) args.push('--advertise', spec.advertise);
  args.push('--log-level', 'info');
  if (spec.extraArgs) args.push(...spec.extraArgs);
  return args;
}

export async function launchTandem(spec: TargetSpec): Promise<TargetUnderTest> {
  if (!existsSync(tandemCli)) throw new Error(`${tandemCli} is missing: run npm run build first`);
  const port = spec.port ?? (await freePort(host));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const out = openSync(spec.logFile, 'a');
    const proc = spawn(process.execPath, [...SERVE_NODE_OPTIONS, ...tandemArgs(spec, port)], { stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    await waitForPort(host, port, 20_000, () => !exited(proc));
  };

  await start();
  const traits: TargetTraits = { unmapReleasesSpace: true, logsAuthFailures: true };
  return {
    kind: 'tandem',
    traits,
    spec,
    port,
    lunNumbers: spec.luns.map((_, i) => i),
    reportedLuns: spec.luns.map((_, i) => i),
    get pid() {
      return child && !exited(child) ? child.pid : undefined;
    },
    alive: () => child !== undefined && !exited(child),
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL');
    },
    restart: async () => {
      if (child) await stopChild(child, 'SIGKILL');
      await start();
    },
    stop: async () => {
      if (child) await stopChild(child, 'SIGTERM');
    },
    log: () => readFileSync(spec.logFile, 'utf8'),
  };
}
