/**
 * A host's task management reaches only the primary, and needs no more: a write a
 * synchronously mirroring primary has sent to its backup cannot be taken back, so the SCSI
 * layer answers ABORT TASK (or LOGICAL UNIT RESET) only once the write no longer runs — the
 * device waits for the backup. When the host hears FUNCTION COMPLETE both nodes hold the
 * same bytes there, and nothing of the aborted write is left to land on either.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MemoryBlockStore } from '../../src/block/memory-store.js';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { CommandAbortedError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { openHarness, reachContinuous } from './device-harness.js';
import type { FakeLink } from './fake-link.js';
import { silentLogger } from './sim-backup.js';
import { startInProcessTarget } from './in-process-target.js';
import { tempMetaDir } from './temp-meta.js';

const IQN = 'iqn.2026-12.io.tandem:host-abort';
const LBA = 64;
const DATA = Buffer.alloc(8 * 512, 0x5a);

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A sync primary in continuous mirroring behind an iSCSI target, a host logged in to it, and a write of the host's held on the backup. */
async function heldHostWrite() {
  const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'sync', logger: silentLogger });
  const { device, local, link } = h;
  cleanup.push(() => device.close());
  await reachContinuous(h);
  const target = await startInProcessTarget(IQN, device);
  cleanup.push(() => target.close());
  const host = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: IQN, initiatorName: 'iqn.2026-12.io.tandem:a-host' });
  cleanup.push(() => host.logout().catch(() => undefined));
  await host.waitReady(0);

  const release = link.hold();
  cleanup.push(async () => release());
  const sentBefore = link.sent.length;
  const handle = host.startCommand({ lun: 0, cdb: write16Cdb(LBA, DATA.length / 512), dataOut: DATA });
  // The primary has sent it to its backup, which holds it.
  await vi.waitFor(() => expect(link.sent.length).toBe(sentBefore + 1), { timeout: 10_000, interval: 5 });
  return { local, link, host, handle, release };
}

async function expectNodesAgree(local: MemoryBlockStore, link: FakeLink): Promise<void> {
  const [a, b] = [Buffer.alloc(DATA.length), Buffer.alloc(DATA.length)];
  await local.read(a, LBA * 512);
  await link.backup.read(b, LBA * 512);
  // The write ran to its end on both (the TMF could not stop it): the host's bytes on each.
  expect(a.equals(DATA)).toBe(true);
  expect(b.equals(DATA)).toBe(true);
}

/** `p`'s outcome, and whether it has settled yet. */
function watched<T>(p: Promise<T>): { settled: () => boolean; outcome: Promise<T> } {
  let done = false;
  const outcome = p.finally(() => (done = true));
  return { settled: () => done, outcome };
}

describe('task management on a synchronously mirroring primary', () => {
  it('ABORT TASK of a write held on the backup is answered once the backup has settled it; the nodes then agree', async () => {
    const { local, link, host, handle, release } = await heldHostWrite();
    const tmf = watched(host.abortTask(handle.itt));
    // However long the backup holds the write, the TMF waits for it.
    await sleep(300);
    expect(tmf.settled()).toBe(false);
    release();
    expect(await tmf.outcome).toBe('aborted');
    await expect(handle.result).rejects.toBeInstanceOf(CommandAbortedError);
    await expectNodesAgree(local, link);
  });

  it('LOGICAL UNIT RESET with such a write held is answered once it has settled; the nodes then agree', async () => {
    const { local, link, host, handle, release } = await heldHostWrite();
    const reset = watched(host.lunReset(0));
    await sleep(300);
    expect(reset.settled()).toBe(false);
    release();
    await reset.outcome;
    await expect(handle.result).rejects.toBeInstanceOf(CommandAbortedError);
    await expectNodesAgree(local, link);
  });
});
