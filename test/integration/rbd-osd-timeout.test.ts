/**
 * An OSD outage longer than the LUNs' op timeout (`op-timeout=3`; rbd-osd-failure.test.ts
 * covers `op-timeout=0`, where I/O waits for the OSD). librados fails an op the OSD does not
 * answer within 3 s with ETIMEDOUT, and the target answers CHECK CONDITION, NOT READY,
 * LOGICAL UNIT IS IN PROCESS OF BECOMING READY (04h/01h): what a Linux host retries after a
 * pause, where a command that outlives the host's 30 s timeout would be aborted instead.
 *
 * Two LUNs on the cluster's one OSD, SIGKILLed under a busy session:
 * - LUN 0, librbd's default cache (write-around), which a timeout turns off: it would
 *   complete writes the timeout then drops. A read, a FUA write and a plain write all end
 *   NOT READY; SYNCHRONIZE CACHE has nothing of its own to write and ends GOOD.
 * - LUN 1, librbd's write-back cache: a plain write completes into the cache; the
 *   SYNCHRONIZE CACHE after it, which must put it on the OSD, ends NOT READY (write-back
 *   keeps the data dirty).
 * While the OSD stays down for several timeouts, retried commands keep failing the same way
 * and the target answers pings, TEST UNIT READY, INQUIRY and a new login. Once the OSD is
 * back, retries complete GOOD and every write that completed GOOD reads back, through iSCSI
 * and with `rbd export`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ScsiCheckConditionError, type IscsiSession } from '../../src/initiator/index.js';
import { clientConf, describeWithCeph } from '../support/ceph.js';
import { rbdOutageServer } from '../support/rbd-outage-server.js';

const IQN = 'iqn.2026-11.io.tandem:rbd-optimeout';
const MiB = 1 << 20;
const SIZE = 16 * MiB;
const BLOCK = 512;
const OP_TIMEOUT_S = 3;
/** A command that needs the dead OSD ends within this: the 3 s timeout, with room for a loaded machine. */
const BOUND_MS = 15_000;
/** How long the OSD stays down at least: several timeouts. */
const OUTAGE_MS = 12_000;
/** How long a host may retry after the OSD is back before the test gives up on GOOD. */
const RECOVERY_MS = 60_000;

type Ended = { status: 'GOOD' } | { status: 'CHECK CONDITION'; key: number; asc: number; ascq: number };
const NOT_READY_BECOMING_READY = { status: 'CHECK CONDITION', key: 0x02, asc: 0x04, ascq: 0x01 } as const;
const GOOD = { status: 'GOOD' } as const;

/** How a command ended, within BOUND_MS (else the test fails: it hung); errors other than CHECK CONDITION are thrown. */
async function ended(what: string, command: Promise<unknown>): Promise<Ended> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: neither GOOD nor CHECK CONDITION within ${BOUND_MS} ms`)), BOUND_MS);
  });
  try {
    await Promise.race([command, bound]);
    return GOOD;
  } catch (e) {
    if (!(e instanceof ScsiCheckConditionError)) throw e;
    return { status: 'CHECK CONDITION', key: e.sense.key, asc: e.sense.asc, ascq: e.sense.ascq };
  } finally {
    clearTimeout(timer);
  }
}

describeWithCeph('an OSD outage longer than the op timeout', (cluster) => {
  const names = ['optimeout', 'optimeout-wb'];
  const server = rbdOutageServer(cluster, {
    iqn: IQN,
    // Far beyond BOUND_MS: the test, not the initiator, decides "hung".
    commandMs: 120_000,
    luns: (c, dir) => {
      const writeback = clientConf(c, 'writeback', 'rbd_cache = true\nrbd_cache_policy = writeback\nrbd_cache_writethrough_until_flush = false');
      const lun = (name: string, lunConf: string, meta: string) =>
        `rbd:${c.pool}/${name},conf=${lunConf},size=${SIZE},meta=${join(dir, meta)},op-timeout=${OP_TIMEOUT_S}`;
      return [lun(names[0]!, c.conf, 'meta0'), lun(names[1]!, writeback, 'meta1')];
    },
  });
  const connect = (name: string) => server.connect(name, [0, 1]);
  /** What each LUN's image must hold at the end. */
  const images = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];

  /** Writes, and records the data in the model only once the write completed GOOD. */
  const write = async (s: IscsiSession, lun: number, offset: number, data: Buffer, fua = false) => {
    await s.write16(lun, offset / BLOCK, data, { fua });
    data.copy(images[lun]!, offset);
  };

  /** Retries a command as a host does after NOT READY, until GOOD; every failure must be NOT READY 04h/01h. */
  const untilGood = async (what: string, command: () => Promise<unknown>) => {
    const deadline = Date.now() + RECOVERY_MS;
    for (;;) {
      const outcome = await ended(what, command());
      if (outcome.status === 'GOOD') return;
      expect(outcome, `${what} while recovering`).toEqual(NOT_READY_BECOMING_READY);
      if (Date.now() > deadline) throw new Error(`${what}: still NOT READY ${RECOVERY_MS} ms after the OSD restarted`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('I/O that needs the dead OSD ends NOT READY 04h/01h within the bound, again on every retry; the target stays responsive; after the restart retries complete and all data reads back', async () => {
    const host = await connect('host');
    const observer = await connect('observer');

    // Before: on the OSD.
    const before = [randomBytes(MiB), randomBytes(MiB)];
    for (const lun of [0, 1]) {
      await write(host, lun, 0, before[lun]!);
      await host.synchronizeCache(lun);
    }

    const killed = await server.killOsd();
    expect(killed).toBeGreaterThan(0);
    const downAt = Date.now();

    // The first commands after the kill, all at once.
    const fuaData = randomBytes(64 * 1024);
    const plainData = randomBytes(256 * 1024);
    const cachedData = randomBytes(256 * 1024);
    const [read, fua, plain, cached] = await Promise.all([
      ended('READ', host.read16(0, 0, MiB / BLOCK)),
      ended('FUA WRITE', write(host, 0, 8 * MiB, fuaData, true)),
      ended('WRITE', write(host, 0, 4 * MiB, plainData)),
      ended('WRITE (write-back LUN)', write(host, 1, 4 * MiB, cachedData)),
    ]);
    expect({ read, fua, plain }).toEqual({ read: NOT_READY_BECOMING_READY, fua: NOT_READY_BECOMING_READY, plain: NOT_READY_BECOMING_READY });
    // The write-back cache took it: it is GOOD and must be on the image in the end.
    expect(cached).toEqual(GOOD);
    const [sync, syncCached] = await Promise.all([ended('SYNCHRONIZE CACHE', host.synchronizeCache(0)), ended('SYNCHRONIZE CACHE (write-back LUN)', host.synchronizeCache(1))]);
    // Nothing acknowledged waits in LUN 0's librbd; LUN 1's cache holds a write it cannot put on the OSD.
    expect({ sync, syncCached }).toEqual({ sync: GOOD, syncCached: NOT_READY_BECOMING_READY });

    // The outage goes on for several timeouts: retries fail the same way, everything else is answered.
    let rounds = 0;
    let late: IscsiSession | undefined;
    while (Date.now() - downAt < OUTAGE_MS) {
      const retries = Promise.all([
        ended('READ retried', host.read16(0, 0, MiB / BLOCK)),
        ended('FUA WRITE retried', write(host, 0, 8 * MiB, fuaData, true)),
        ended('SYNCHRONIZE CACHE retried (write-back LUN)', host.synchronizeCache(1)),
      ]);
      await host.ping();
      await observer.ping();
      await observer.testUnitReady(0);
      await observer.testUnitReady(1);
      expect((await observer.inquiry(0)).subarray(8, 16).toString('latin1').trim()).not.toBe('');
      if (!late) {
        late = await connect('late');
        await late.testUnitReady(0);
      }
      expect(await retries).toEqual([NOT_READY_BECOMING_READY, NOT_READY_BECOMING_READY, NOT_READY_BECOMING_READY]);
      rounds++;
    }
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(host.isOpen && observer.isOpen && late?.isOpen, 'no session was dropped').toBe(true);

    await server.startOsd();

    // A host's retries complete once the OSD is back.
    let readBack: Buffer = Buffer.alloc(0);
    await untilGood('READ', async () => (readBack = await host.read16(0, 0, MiB / BLOCK)));
    expect(readBack.equals(before[0]!)).toBe(true);
    await untilGood('FUA WRITE', () => write(host, 0, 8 * MiB, fuaData, true));
    await untilGood('WRITE', () => write(host, 0, 4 * MiB, plainData));
    await untilGood('SYNCHRONIZE CACHE (write-back LUN)', () => host.synchronizeCache(1));

    // New I/O, then everything reads back: through iSCSI and from the images themselves.
    await write(late!, 0, 12 * MiB, randomBytes(MiB), true);
    await write(observer, 1, 12 * MiB, randomBytes(MiB));
    await observer.synchronizeCache(1);
    for (const lun of [0, 1]) {
      expect((await host.read16(lun, 0, SIZE / BLOCK)).equals(images[lun]!), `LUN ${lun} through iSCSI`).toBe(true);
      const exported = await cluster().rbd('export', '--no-progress', `${cluster().pool}/${names[lun]!}`, '-');
      expect(exported.equals(images[lun]!), `LUN ${lun} by rbd export`).toBe(true);
    }
  }, 180_000);
});
