/**
 * One e2e scenario = targets on loopback ports + one VM boot running one guest script.
 * `e2eTest` registers it as its own vitest test; `runScenario` does the plumbing so a
 * scenario file only states its targets, its guest script and its assertions.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished, test } from 'vitest';
import { launchTarget } from './launch-target.js';
import { selectedTargetKind, type LunSpec, type TargetKind, type TargetSpec, type TargetUnderTest } from './target-under-test.js';
import { BOOT_ATTEMPTS, BOOT_DEADLINE_MS, killAllVms, runGuest, type GuestRun, type PhaseHandlers } from './vm.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const targetKind: TargetKind = selectedTargetKind();

/** Scenario numbers picked by E2E_ONLY (e.g. "3" or "3,7"); undefined runs all. */
export function onlyScenarios(env: NodeJS.ProcessEnv = process.env): Set<number> | undefined {
  const raw = env.E2E_ONLY?.trim();
  if (!raw) return undefined;
  return new Set(raw.split(',').map((s) => Number(s.trim())));
}

/** A vitest test named "<n> <title> [<target>]", skipped when E2E_ONLY leaves it out. */
/** Work dirs of scenarios run in this process, so a passing one can drop its LUN images. */
const workDirsThisTest: string[] = [];

export function e2eTest(n: number, title: string, body: () => Promise<void>, timeoutMs = 240_000): void {
  const only = onlyScenarios();
  test.skipIf(only !== undefined && !only.has(n))(
    `${n} ${title} [${targetKind}]`,
    async () => {
      workDirsThisTest.length = 0;
      await body();
      // Passed: keep the logs, drop the backing images. Some are huge sparse files (scenario 9
      // uses 2 TiB) that fill a disk when anything copies the tree without sparse support.
      for (const dir of workDirsThisTest) dropImages(dir);
    },
    // Room for the boots runGuest retries when a guest hangs before its init.
    timeoutMs + (BOOT_ATTEMPTS - 1) * BOOT_DEADLINE_MS,
  );
}

function dropImages(dir: string): void {
  for (const name of readdirSync(dir)) if (name.endsWith('.img')) rmSync(join(dir, name), { force: true });
}

export interface ScenarioTargetInput {
  iqn: string;
  /** LUN sizes in bytes; backing files are made in the scenario's work dir. */
  lunSizes: number[];
  /** Tandem only: what LUN i is instead of a file in the work dir (an `rbd:POOL/IMAGE,...` spec); its size is appended. */
  lunPaths?: string[];
  chap?: TargetSpec['chap'];
  mutualChap?: TargetSpec['mutualChap'];
  /** Host loopback port (e.g. picked beforehand so a peer can name it); free one when absent. */
  port?: number;
  /** Tandem only: more `tandem serve` flags (TargetSpec.extraArgs). */
  tandemArgs?: string[];
}

export interface ScenarioOptions {
  /** Short name: work dir .cache/e2e/runs/<id>/. */
  id: string;
  targets: ScenarioTargetInput[];
  /** File under test/e2e/guest/. */
  script: string;
  env?: Record<string, string>;
  phases?: (targets: TargetUnderTest[]) => PhaseHandlers;
  timeoutMs?: number;
}

export interface ScenarioRun {
  guest: GuestRun;
  targets: TargetUnderTest[];
  workDir: string;
}

/** Target i is reachable from the guest at 10.0.2.(100+i):3260. */
export function guestPortal(i: number): string {
  return `10.0.2.${100 + i}:3260`;
}

/** Where scenario `id` leaves its work (emptied when it starts): for paths named before launch. */
export function scenarioWorkDir(id: string): string {
  return join(repoRoot, '.cache', 'e2e', 'runs', `${id}-${targetKind}`);
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioRun> {
  const workDir = scenarioWorkDir(opts.id);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  workDirsThisTest.push(workDir);
  const targets: TargetUnderTest[] = [];
  onTestFinished(async () => {
    await killAllVms();
    await Promise.all(targets.map((t) => t.stop()));
  });

  const env: Record<string, string> = { E2E_TARGET: targetKind, ...opts.env };
  for (const [i, input] of opts.targets.entries()) {
    const luns: LunSpec[] = input.lunSizes.map((sizeBytes, l) => ({ path: input.lunPaths?.[l] ?? join(workDir, `t${i}-lun${l}.img`), sizeBytes }));
    const target = await launchTarget(targetKind, {
      iqn: input.iqn,
      luns,
      chap: input.chap,
      mutualChap: input.mutualChap,
      ...(input.port !== undefined ? { port: input.port } : {}),
      ...(input.tandemArgs ? { extraArgs: input.tandemArgs } : {}),
      advertise: guestPortal(i),
      logFile: join(workDir, `t${i}-target.log`),
    });
    targets.push(target);
    Object.assign(env, {
      [`T${i}_IQN`]: input.iqn,
      [`T${i}_PORTAL`]: guestPortal(i),
      [`T${i}_LUNS`]: target.lunNumbers.join(' '),
      [`T${i}_CHAP_USER`]: input.chap?.user ?? '',
      [`T${i}_CHAP_SECRET`]: input.chap?.secret ?? '',
      [`T${i}_MUTUAL_USER`]: input.mutualChap?.user ?? '',
      [`T${i}_MUTUAL_SECRET`]: input.mutualChap?.secret ?? '',
    });
  }

  const guest = await runGuest({
    jobDir: join(workDir, 'job'),
    script: opts.script,
    env,
    forwards: targets.map((t, i) => ({ guestIp: `10.0.2.${100 + i}`, hostPort: t.port })),
    phases: opts.phases?.(targets),
    timeoutMs: opts.timeoutMs ?? 200_000,
  });
  return { guest, targets, workDir };
}

/** Fails with the guest's logs when the VM did not run the script to a clean end. */
export function describeFailure(run: ScenarioRun): string {
  const g = run.guest;
  return [
    `guest exit ${g.exitCode ?? 'none'}${g.timedOut ? ' (timed out)' : ''}${g.hungBoots > 0 ? ` (${g.hungBoots} boot(s) hung before init)` : ''} after ${g.durationMs} ms; work dir ${run.workDir}`,
    ...g.phaseErrors.map((e) => `phase error: ${e.message}`),
    g.diagnostics(),
  ].join('\n');
}
