/**
 * A replicated Tandem pair as users run it: a backup (`--role backup`) and a primary
 * (`--role primary --replica URL`) that mirrors its LU to it. The target under test is the
 * primary, once its replication has reached continuous mirroring; after the suite, `check`
 * verifies that the backup holds what the primary holds (every kind of write the suite sent
 * reached it).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../../src/replication/control/client.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import type { VerifyReport } from '../../src/verify/engine.js';
import { startTandem, type RunningTarget, type TargetSpec } from './target-process.js';

type Replication = NonNullable<ServerStatus['luns'][number]['replication']>;

export const REPLICATOR_IQN = 'iqn.2026-11.io.tandem:conformance-replicator';

/** `spec` describes the primary; the backup gets a sibling image, log and IQN. */
export async function startReplicatedTandem(spec: TargetSpec, work: string): Promise<RunningTarget> {
  const backupIqn = `${spec.iqn}-backup`;
  const backup = await startTandem({
    iqn: backupIqn,
    image: join(work, 'backup.img'),
    size: spec.size,
    logFile: join(work, 'backup.log'),
    serveArgs: ['--role', 'backup', '--replicator-iqn', REPLICATOR_IQN, '--control', join(work, 'backup.sock')],
  });
  const control = join(work, 'primary.sock');
  let primary: RunningTarget;
  try {
    primary = await startTandem({
      ...spec,
      serveArgs: [
        ...(spec.serveArgs ?? []),
        '--role', 'primary', '--replica', backup.url, '--replicator-iqn', REPLICATOR_IQN, '--control', control,
      ],
    });
  } catch (e) {
    await backup.stop();
    throw e;
  }
  const stop = async (): Promise<void> => {
    await primary.stop();
    await backup.stop();
  };
  try {
    await waitForContinuous(control, 120_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ...primary, stop, check: () => backupDiffers(control) };
}

/** Once the pair is in step again, a verify of the running pair (the control form of `tandem verify`): undefined when the backup equals the primary. */
async function backupDiffers(control: string): Promise<string | undefined> {
  try {
    await waitForContinuous(control, 120_000, (r) => r.dirtyChunks === 0);
  } catch (e) {
    return `after the suite: ${(e as Error).message}`;
  }
  const r = await controlRequest(control, { cmd: 'verify' }, { timeoutMs: 300_000 }).catch((e: Error) => ({ ok: false as const, error: e.message }));
  if (!r.ok) return `after the suite, verify of the pair failed: ${r.error}`;
  const { reports } = r.result as { reports: Array<{ report: VerifyReport }> };
  const report = reports[0]?.report;
  if (!report) return 'after the suite, verify of the pair reported nothing';
  const pending = report.live?.pendingChunks ?? 0;
  if (report.differingChunks === 0 && pending === 0) return undefined;
  return `after the suite, the backup differs from the primary: ${report.differingChunks} chunks differ, ${pending} marked for a pass`;
}

/** Polls the primary's control socket until its LU mirrors continuously (the first copy is done). */
async function waitForContinuous(control: string, timeoutMs: number, also: (r: Replication) => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    const r = await controlRequest(control, { cmd: 'status' }, { timeoutMs: 5_000 }).catch((e: Error) => ({ ok: false as const, error: e.message }));
    if (r.ok) {
      const replication = (r.result as ServerStatus).luns[0]?.replication;
      last = replication?.state ?? 'no replication section';
      if (replication?.state === 'continuous' && also(replication)) return;
    } else {
      last = r.error;
    }
    if (Date.now() > deadline) throw new Error(`primary not mirroring continuously after ${timeoutMs} ms (last: ${last})`);
    await sleep(200);
  }
}
