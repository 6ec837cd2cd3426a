/**
 * The Tandem admin CLI as an operator runs it against a node's control socket
 * (`tandem status --json`, `promote`, `demote`, `switchover`), for scenarios that drive a
 * replicated pair between guest phases.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerStatus } from '../../../src/replication/control/handler.js';
import type { ReplicationStatus } from '../../../src/replication/status.js';
import { tandemCli } from './tandem-target.js';

export interface CliRun {
  /** Exit code (-1 when killed by a signal or the timeout). */
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `tandem ARGS...` (the built CLI) to completion. */
export function tandem(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tandemCli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `tandem status --json` of the node behind `control`; throws with the CLI's words when it fails. */
export async function nodeStatus(control: string): Promise<ServerStatus> {
  const r = await tandem(['status', '--json', '--control', control], 15_000);
  if (r.code !== 0) throw new Error(`tandem status --control ${control} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return JSON.parse(r.stdout) as ServerStatus;
}

/** The replication status of the node's LUN `lun` (default 0). */
export async function lunStatus(control: string, lun = 0): Promise<ReplicationStatus> {
  const status = await nodeStatus(control);
  const entry = status.luns.find((l) => l.lun === lun);
  if (!entry?.replication) throw new Error(`${control}: LUN ${lun} is not replicated (status ${JSON.stringify(status.luns)})`);
  return entry.replication;
}

/** The fields that say where a node stands, for failure messages and the scenario log. */
export function summary(r: ReplicationStatus): Record<string, unknown> {
  return {
    role: r.role,
    state: r.state,
    flavour: r.flavour,
    dirtyChunks: r.dirtyChunks,
    journalEntries: r.journal.entries,
    resyncTarget: r.resyncTarget,
    resync: r.resync,
    binding: r.binding,
    generation: r.generations.current,
    volumeId: r.identity.volumeId,
    peer: r.peer ? { reachable: r.peer.reachable, role: r.peer.role, generation: r.peer.generations?.current, error: r.peer.error } : undefined,
  };
}

/**
 * Polls the node's LUN status until `ok` holds; throws naming `what` with the last status
 * (or the last error, e.g. while the node is starting) after `timeoutMs`.
 */
export async function waitForLun(control: string, what: string, ok: (r: ReplicationStatus) => boolean, timeoutMs: number): Promise<ReplicationStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: string = 'no answer yet';
  for (;;) {
    try {
      const r = await lunStatus(control);
      if (ok(r)) return r;
      last = JSON.stringify(summary(r));
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${timeoutMs} ms; last status ${last}`);
    await sleep(500);
  }
}
