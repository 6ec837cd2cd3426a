/**
 * Submitting to librbd never stops the event loop, even with the OSD dead and more in flight
 * than librados' own throttle would let through. The addon has librbd dispatch each request
 * on the calling thread (the event loop) and turns that throttle off (native/rbd_cluster.cc):
 * the throttle waits in the submitting thread for the OSDs to answer. This client's config
 * sets it low (16 ops, 1 MiB), so were it in force the 17th submission would wait inside
 * librados until the first ops failed at the 3 s op timeout, and so on every 16: the event
 * loop stopped for seconds.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { RbdBlockStore } from '../../src/block/rbd-store.js';
import { clientConf, describeWithCeph } from '../support/ceph.js';

const KiB = 1024;
const OP_TIMEOUT_S = 3;
const WRITES = 64;
const WRITE_BYTES = 64 * KiB;
/** Submitting 64 writes takes milliseconds; a throttled submission waits at least one op timeout. */
const SUBMIT_BOUND_MS = (OP_TIMEOUT_S * 1000) / 2;
/** How long I/O may keep timing out after the OSD is back before the test gives up. */
const RECOVERY_MS = 60_000;

/** Retries `io` while it times out, as a host retries NOT READY, for up to RECOVERY_MS. */
async function untilDone(io: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  for (;;) {
    try {
      return await io();
    } catch (e) {
      if (!(e instanceof BlockIoError) || e.code !== 'ETIMEDOUT' || Date.now() > deadline) throw e;
    }
  }
}

describeWithCeph('RbdBlockStore submission while the OSD is dead', (cluster) => {
  it(`submits ${WRITES} writes of 64 KiB (beyond a 16-op, 1 MiB librados throttle) to a dead OSD without stopping the event loop; they fail ETIMEDOUT; I/O works again once the OSD is back`, async () => {
    const conf = clientConf(cluster(), 'throttled', 'objecter_inflight_ops = 16\nobjecter_inflight_op_bytes = 1048576');
    const store = await RbdBlockStore.open({ pool: cluster().pool, image: 'dead-osd', conf, size: 16 * 1024 * KiB, opTimeout: OP_TIMEOUT_S });
    let osdDown = false;
    let ticker: NodeJS.Timeout | undefined;
    try {
      const before = randomBytes(WRITE_BYTES);
      await store.write(before, 0);
      await store.flush();

      await cluster().killOsd();
      osdDown = true;
      const data = Array.from({ length: WRITES }, () => randomBytes(WRITE_BYTES));
      let ticks = 0;
      ticker = setInterval(() => ticks++, 10);
      const t0 = performance.now();
      const outcomes = data.map((d, i) =>
        store.write(d, (i + 1) * WRITE_BYTES).then(
          () => 'GOOD',
          (e: unknown) => (e instanceof BlockIoError ? e.code : String(e)),
        ),
      );
      const submitMs = performance.now() - t0;
      const ticksAfterSubmit = ticks;
      await new Promise((r) => setTimeout(r, 200));
      expect(submitMs, 'time spent submitting (ms)').toBeLessThan(SUBMIT_BOUND_MS);
      expect(ticks, 'timer ticks while the writes wait for the dead OSD').toBeGreaterThan(ticksAfterSubmit);
      expect(new Set(await Promise.all(outcomes))).toEqual(new Set(['ETIMEDOUT']));

      await cluster().startOsd();
      osdDown = false;
      // The mon has the OSD up; its placement groups may still be peering, and an op that
      // waits for them longer than the op timeout fails again. A host retries those.
      const after = randomBytes(WRITE_BYTES);
      await untilDone(async () => {
        await store.write(after, WRITE_BYTES);
        await store.flush();
      });
      const back = Buffer.alloc(2 * WRITE_BYTES);
      await store.read(back, 0);
      expect(back.equals(Buffer.concat([before, after]))).toBe(true);
    } finally {
      clearInterval(ticker);
      if (osdDown) await cluster().startOsd();
      await store.close();
    }
  }, 180_000);
});
