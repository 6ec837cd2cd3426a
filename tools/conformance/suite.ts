/** Runs libiscsi's iscsi-test-cu and returns everything it printed. */
import { spawn } from 'node:child_process';

export interface SuiteRun {
  output: string;
  /** Set when the suite had to be killed (it overran its time). */
  killed?: string;
}

export function iscsiTestCuArgs(o: { tests: string; allowSanitize?: boolean; urls: string[] }): string[] {
  return ['--dataloss', ...(o.allowSanitize ? ['--allow-sanitize'] : []), `--test=${o.tests}`, '-v', ...o.urls];
}

export function runIscsiTestCu(args: string[], timeoutMs: number): Promise<SuiteRun> {
  return new Promise((resolve, reject) => {
    // Unbuffered stdout keeps libiscsi's [FAILED]/[SKIPPED] lines next to the test that printed them.
    const child = spawn('stdbuf', ['-o0', '-e0', 'iscsi-test-cu', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => reject(new Error(`cannot run iscsi-test-cu (apt-get install libiscsi-bin): ${e.message}`)));
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      resolve(signal ? { output, killed: `iscsi-test-cu was killed (${signal}) after ${timeoutMs / 1000} s` } : { output });
    });
  });
}

/** Every test iscsi-test-cu knows, as SUITE.TEST (its ALL family holds each once). */
export function listIscsiTestCu(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('iscsi-test-cu', ['--list'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolve(parseTestList(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** `iscsi-test-cu --list` lines FAMILY[.SUITE[.TEST]] → the ALL family's SUITE.TEST names. */
export function parseTestList(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^ALL\.([^.\s]+)\.([^.\s]+)\s*$/.exec(line);
    if (m) names.add(`${m[1]}.${m[2]}`);
  }
  return [...names].sort((a, b) => a.localeCompare(b));
}
