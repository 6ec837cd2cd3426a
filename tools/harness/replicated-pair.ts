/**
 * A replicated Tandem pair as users run it: a backup (`--role backup`) and a primary
 * (`--role primary --replica URL`) that mirrors its LU to it. The target under test is the
 * primary, once its replication has reached continuous mirroring.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../../src/replication/control/client.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { startTandem, type RunningTarget, type TargetSpec } from './target-process.js';

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
  return { ...primary, stop };
}

/** Polls the primary's control socket until its LU mirrors continuously (the first copy is done). */
async function waitForContinuous(control: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    const r = await controlRequest(control, { cmd: 'status' }, { timeoutMs: 5_000 }).catch((e: Error) => ({ ok: false as const, error: e.message }));
    if (r.ok) {
      const replication = (r.result as ServerStatus).luns[0]?.replication;
      last = replication?.state ?? 'no replication section';
      if (replication?.state === 'continuous') return;
    } else {
      last = r.error;
    }
    if (Date.now() > deadline) throw new Error(`primary not mirroring continuously after ${timeoutMs} ms (last: ${last})`);
    await sleep(200);
  }
}
