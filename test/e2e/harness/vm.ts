/**
 * Boots the guest under QEMU (TCG: this host's KVM cannot run stock kernels) with a 9p
 * share for the scenario script, its results and host<->guest phase files, and user-mode
 * networking that lets the guest reach exactly the forwarded target ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage } from '../image/image.js';
import { exited, stopChild } from './process.js';
import { parseResults, type ScenarioResults } from './results.js';

const guestDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'guest');
/** Run per guest connection; QEMU splits its options at commas, so this path must have none. */
const guestConnect = join(dirname(fileURLToPath(import.meta.url)), 'guest-connect.sh');

export interface PortForward {
  /** Address the guest connects to, e.g. 10.0.2.100 (port 3260). */
  guestIp: string;
  hostPort: number;
}

/** Host actions keyed by phase number; the guest waits in `phase N` until one returns. */
export type PhaseHandlers = Record<number, () => Promise<void>>;

export interface GuestRunOptions {
  /** Fresh directory shared with the guest as /job. */
  jobDir: string;
  /** Scenario script file name under test/e2e/guest/. */
  script: string;
  env: Record<string, string>;
  forwards: PortForward[];
  phases?: PhaseHandlers;
  timeoutMs: number;
}

export interface GuestRun {
  jobDir: string;
  /** Exit code of the guest script; undefined if the VM never finished it. */
  exitCode: number | undefined;
  timedOut: boolean;
  results: ScenarioResults;
  /** Errors thrown by phase handlers. */
  phaseErrors: Error[];
  durationMs: number;
  /** Boots killed because the guest did not reach its init in time (BOOT_DEADLINE_MS). */
  hungBoots: number;
  /** Text of a file the guest wrote under /job/out/ (empty when absent). */
  out(name: string): string;
  /** guest.log plus the serial console, for failure messages. */
  diagnostics(): string;
}

const liveVms = new Set<ChildProcess>();

/** Kills every VM still running (test timeouts abandon their promises, not their children). */
export async function killAllVms(): Promise<void> {
  await Promise.all([...liveVms].map((vm) => stopChild(vm, 'SIGKILL')));
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * How long a guest may take to reach its init (3-10 s here under TCG) before it is taken as
 * hung at boot: a CI run once lost a scenario to a VM that never printed a byte (QEMU silent,
 * the console empty) until the scenario's timeout. E2E_BOOT_DEADLINE_MS overrides it (a
 * deadline too short to boot shows the retries at work).
 */
export const BOOT_DEADLINE_MS = Number(process.env.E2E_BOOT_DEADLINE_MS ?? 60_000);
/** Boots tried before a guest that never reaches its init fails the scenario. */
export const BOOT_ATTEMPTS = 3;

/** Empties the job share and puts the scenario script, its library and its environment on it. */
function prepareJobDir(opts: GuestRunOptions): void {
  rmSync(opts.jobDir, { recursive: true, force: true });
  mkdirSync(join(opts.jobDir, 'out'), { recursive: true });
  copyFileSync(join(guestDir, 'lib.sh'), join(opts.jobDir, 'lib.sh'));
  copyFileSync(join(guestDir, opts.script), join(opts.jobDir, 'scenario.sh'));
  writeFileSync(
    join(opts.jobDir, 'env.sh'),
    Object.entries(opts.env)
      .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
      .join(''),
  );
}

/** init.sh starts guest.log as soon as the job share is mounted: the guest is up. */
function reachedInit(jobDir: string): boolean {
  return existsSync(join(jobDir, 'guest.log'));
}

interface VmExit {
  timedOut: boolean;
  hungAtBoot: boolean;
  qemuStderr: string;
}

export async function runGuest(opts: GuestRunOptions): Promise<GuestRun> {
  if (guestConnect.includes(',')) throw new Error(`QEMU cannot take a command path with a comma: ${guestConnect}`);
  const image = ensureImage();
  // A guestfwd "cmd:" runs once per guest connection, so reconnects after a target restart
  // work; a plain "tcp:" guestfwd would be a single connection made at QEMU start. The
  // command waits for a target that is down rather than closing the accepted connection
  // (guest-connect.sh says why).
  const forward = (f: PortForward) => `guestfwd=tcp:${f.guestIp}:3260-cmd:${guestConnect} ${f.hostPort}`;
  const netdev = ['user', 'id=n0', 'restrict=on', ...opts.forwards.map(forward)].join(',');
  const args = [
    '-machine', 'q35,accel=tcg', '-cpu', 'max', '-smp', '2', '-m', '1024',
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-kernel', image.kernel, '-initrd', image.initrd,
    '-append', 'console=ttyS0 panic=-1 quiet',
    '-serial', `file:${join(opts.jobDir, 'console.log')}`,
    '-netdev', netdev, '-device', 'virtio-net-pci,netdev=n0',
    '-virtfs', `local,path=${opts.jobDir},mount_tag=job,security_model=none,id=job`,
  ];
  const started = Date.now();
  const phaseErrors: Error[] = [];
  let exit: VmExit | undefined;
  let hungBoots = 0;
  // A guest hung before its init has run nothing of the scenario (no phase, no login): booting
  // it again loses nothing.
  for (let attempt = 1; attempt <= BOOT_ATTEMPTS; attempt++) {
    prepareJobDir(opts);
    exit = await bootOnce(args, opts, phaseErrors);
    if (!exit.hungAtBoot) break;
    hungBoots++;
    process.stderr.write(`e2e: guest for ${opts.script} did not reach its init within ${BOOT_DEADLINE_MS / 1000} s (boot ${attempt} of ${BOOT_ATTEMPTS}; qemu stderr: ${exit.qemuStderr.trim() || 'empty'})\n`);
  }
  const { timedOut, qemuStderr } = exit!;

  const read = (name: string): string => {
    const p = join(opts.jobDir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };
  const code = read('exit-code').trim();
  return {
    jobDir: opts.jobDir,
    exitCode: code === '' ? undefined : Number(code),
    timedOut,
    results: parseResults(read('results.txt')),
    phaseErrors,
    durationMs: Date.now() - started,
    hungBoots,
    out: (name) => read(join('out', name)),
    diagnostics: () =>
      [`qemu stderr:\n${qemuStderr}`, `guest.log:\n${read('guest.log')}`, `console (tail):\n${read('console.log').slice(-3000)}`].join('\n'),
  };
}

/** One VM boot until QEMU exits: killed at the scenario's timeout, or at the boot deadline while the guest has not reached its init. */
async function bootOnce(args: string[], opts: GuestRunOptions, phaseErrors: Error[]): Promise<VmExit> {
  const vm = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  liveVms.add(vm);
  let qemuStderr = '';
  vm.stderr?.on('data', (d: Buffer) => (qemuStderr += d.toString()));

  const handled = new Set<number>();
  let busy = false;
  const poll = setInterval(() => {
    if (busy) return;
    const ready = readdirSync(opts.jobDir)
      .map((f) => /^phase-(\d+)-ready$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .find((n) => !handled.has(n));
    if (ready === undefined) return;
    handled.add(ready);
    busy = true;
    const handler = opts.phases?.[ready] ?? (async () => {});
    handler()
      .catch((e: unknown) => {
        phaseErrors.push(e instanceof Error ? e : new Error(String(e)));
        // Tells the guest's `phase` the host step failed, so the script can stop early.
        writeFileSync(join(opts.jobDir, `phase-${ready}-failed`), `${e instanceof Error ? e.message : String(e)}\n`);
      })
      .finally(() => {
        writeFileSync(join(opts.jobDir, `phase-${ready}-go`), '');
        busy = false;
      });
  }, 100);

  let timedOut = false;
  let hungAtBoot = false;
  const timer = setTimeout(() => {
    timedOut = true;
    vm.kill('SIGKILL');
  }, opts.timeoutMs);
  const bootWatch = setTimeout(() => {
    if (reachedInit(opts.jobDir)) return;
    hungAtBoot = true;
    vm.kill('SIGKILL');
  }, BOOT_DEADLINE_MS);
  await new Promise<void>((resolve) => (exited(vm) ? resolve() : vm.once('exit', () => resolve())));
  clearTimeout(timer);
  clearTimeout(bootWatch);
  clearInterval(poll);
  liveVms.delete(vm);
  return { timedOut, hungAtBoot, qemuStderr };
}
