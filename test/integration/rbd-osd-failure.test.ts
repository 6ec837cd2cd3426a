/**
 * The cluster failing under a running RBD LUN: the one OSD of the test cluster is SIGKILLed
 * while a host has I/O in flight, and started again.
 *
 * With `op-timeout=0` (Tandem's default, librados' own: rados_osd_op_timeout 0; a timeout is
 * tested in rbd-osd-timeout.test.ts) an op to a dead OSD is never failed: the client resends it when
 * the OSD map shows the OSD back. So what a host sees is commands
 * that wait (no error at all): plain writes are acknowledged by librbd's write-around cache
 * (as with the OSD up), but a SYNCHRONIZE CACHE after them, a FUA write and a read wait for
 * the OSD. Meanwhile the target answers everything that does not touch the image: NOP-Out
 * pings on the busy session, another session's TEST UNIT READY, INQUIRY and READ CAPACITY,
 * a new login. Once the OSD is back the waiting commands complete GOOD, and data written
 * before, during and after the outage reads back, through iSCSI and with `rbd export`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { IscsiSession } from '../../src/initiator/index.js';
import { describeWithCeph } from '../support/ceph.js';
import { rbdOutageServer } from '../support/rbd-outage-server.js';

const IQN = 'iqn.2026-11.io.tandem:rbd-osd';
const MiB = 1 << 20;
const SIZE = 16 * MiB;
const BLOCK = 512;
/** Bounds every command: far longer than an OSD restart, far shorter than "never" (pings go on meanwhile). */
const COMMAND_MS = 90_000;

type Outcome = { state: 'pending' } | { state: 'good' } | { state: 'failed'; error: unknown };

/** A command's promise with its outcome readable at any time. */
function track(p: Promise<unknown>): { outcome: () => Outcome; done: Promise<void> } {
  let outcome: Outcome = { state: 'pending' };
  const done = p.then(
    () => void (outcome = { state: 'good' }),
    (error: unknown) => void (outcome = { state: 'failed', error }),
  );
  return { outcome: () => outcome, done };
}

describeWithCeph('an OSD killed under a running RBD LUN', (cluster) => {
  const server = rbdOutageServer(cluster, {
    iqn: IQN,
    commandMs: COMMAND_MS,
    luns: ({ conf, pool }, dir) => [`rbd:${pool}/osdkill,conf=${conf},size=${SIZE},meta=${join(dir, 'meta')},op-timeout=0`],
  });
  const connect = (name: string) => server.connect(name, [0]);
  /** What the image must hold at the end. */
  const image = Buffer.alloc(SIZE);

  const write = (s: IscsiSession, offset: number, data: Buffer, fua = false) => {
    data.copy(image, offset);
    return s.write16(0, offset / BLOCK, data, { fua });
  };

  it('I/O waits while the OSD is down (the target answers pings, other sessions and logins), then completes; all data reads back', async () => {
    const host = await connect('host');
    const observer = await connect('observer');

    // Before: written and flushed, the OSD has it.
    const before = randomBytes(1 * MiB);
    await write(host, 0, before);
    await host.synchronizeCache(0);

    const killed = await server.killOsd();
    expect(killed).toBeGreaterThan(0);

    // During: plain writes complete (librbd's write-around cache, on since the first flush,
    // acknowledges up to rbd_cache_max_dirty before the OSD has them) ...
    const during = randomBytes(2 * MiB);
    await Promise.all([0, 1, 2, 3].map((i) => write(host, 4 * MiB + i * 512 * 1024, during.subarray(i * 512 * 1024, (i + 1) * 512 * 1024))));
    // ... but a flush after them, a FUA write and a read of data only the OSD has cannot.
    const flush = track(host.synchronizeCache(0));
    const fua = track(write(host, 8 * MiB, randomBytes(64 * 1024), true));
    const read = track(host.read16(0, 0, (1 * MiB) / BLOCK));

    // The outage lasts for these round trips: every one must be answered meanwhile.
    for (let i = 0; i < 5; i++) {
      await host.ping();
      await observer.ping();
      await observer.testUnitReady(0);
      const inquiry = await observer.inquiry(0);
      expect(inquiry.subarray(8, 16).toString('latin1').trim()).not.toBe('');
      expect((await observer.readCapacity16(0)).blockCount).toBe(BigInt(SIZE / BLOCK));
      await new Promise((r) => setTimeout(r, 300));
    }
    // A host that logs in now is served too.
    const late = await connect('late');
    await late.testUnitReady(0);

    // What needs the OSD has neither completed nor failed: librbd waits for it.
    for (const [what, t] of Object.entries({ flush, fua, read })) {
      expect(t.outcome(), `${what} while the OSD is down`).toEqual({ state: 'pending' });
    }
    expect(host.isOpen && observer.isOpen && late.isOpen, 'no session was dropped').toBe(true);

    await server.startOsd();

    // After: everything that waited completes GOOD.
    await Promise.all([flush, fua, read].map((t) => t.done));
    for (const t of [flush, fua, read]) expect(t.outcome()).toEqual({ state: 'good' });

    // New I/O on every session, then all of it reads back.
    const after = randomBytes(1 * MiB);
    await write(late, 12 * MiB, after, true);
    await write(observer, 10 * MiB, randomBytes(256 * 1024));
    await observer.synchronizeCache(0);
    expect((await host.read16(0, 0, SIZE / BLOCK)).equals(image)).toBe(true);
    const exported = await cluster().rbd('export', '--no-progress', `${cluster().pool}/osdkill`, '-');
    expect(exported.equals(image)).toBe(true);
  }, 150_000);
});
