/**
 * A replicated pair of Tandem nodes for the e2e scenarios (14-17): both listen on ports
 * chosen up front so each node's --peer names the other, each with a control socket in the
 * scenario's work dir; and the wait for the pair to be in step (first sync done, the backup
 * holding the primary's history and so its device identity).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePort } from '../../../tools/harness/ports.js';
import type { ReplicationStatus } from '../../../src/replication/status.js';
import type { ScenarioTargetInput } from './scenario.js';
import { summary, waitForLun, type CliRun } from './tandem-admin.js';

/** Two different free loopback ports (each node's peer URL names the other's). */
export async function twoPorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

/** A CLI run that must end with `code`, with its words in the failure message. */
export function expectExit(run: CliRun, code: number, what: string): void {
  expect(run.code, `${what}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(code);
}

export interface PairOptions {
  dir: string;
  iqnA: string;
  iqnB: string;
  lunSize: number;
  /** More `tandem serve` flags for both nodes (e.g. --sync). */
  extraArgs?: string[];
}

export interface Pair {
  /** T0 = node A (first the primary), T1 = node B (its backup). */
  targets: ScenarioTargetInput[];
  sockA: string;
  sockB: string;
}

export async function replicatedPair(o: PairOptions): Promise<Pair> {
  const [portA, portB] = await twoPorts();
  const sockA = join(o.dir, 'a.sock');
  const sockB = join(o.dir, 'b.sock');
  const extra = o.extraArgs ?? [];
  return {
    sockA,
    sockB,
    targets: [
      { iqn: o.iqnA, lunSizes: [o.lunSize], port: portA, tandemArgs: ['--role', 'primary', '--peer', `iscsi://127.0.0.1:${portB}/${o.iqnB}/0`, '--control', sockA, ...extra] },
      { iqn: o.iqnB, lunSizes: [o.lunSize], port: portB, tandemArgs: ['--role', 'backup', '--peer', `iscsi://127.0.0.1:${portA}/${o.iqnA}/0`, '--control', sockB, ...extra] },
    ],
  };
}

/** Waits until `primarySock`'s node mirrors continuously and `backupSock`'s holds its history. */
export async function waitInStep(primarySock: string, backupSock: string, what: string, timeoutMs = 90_000): Promise<{ primary: ReplicationStatus; backup: ReplicationStatus }> {
  const primary = await waitForLun(primarySock, `${what}: primary continuous`, (r) => r.role === 'primary' && r.state === 'continuous' && r.dirtyChunks === 0, timeoutMs);
  const backup = await waitForLun(backupSock, `${what}: backup holding the primary's history`, (r) => r.role === 'backup' && !r.resyncTarget && r.generations.current === primary.generations.current, 30_000);
  return { primary, backup };
}

/** One line per host step in <dir>/steps.log, with the time since `started`. */
export function stepLog(dir: string, started: number, timeline: Record<string, number>) {
  return (name: string, detail?: unknown): void => {
    timeline[name] = Date.now() - started;
    const line = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${name}${detail === undefined ? '' : `  ${JSON.stringify(detail)}`}\n`;
    appendFileSync(join(dir, 'steps.log'), line);
  };
}

export { summary };
