/**
 * `point restore`, `point expose` and `point unexpose` on one node run one at a time. A
 * restore drops the points after its own; an expose of one of them issued while the restore
 * ran used to pass its checks and serve a point about to vanish. Now the expose runs after
 * the restore and is refused (the point is gone). The devices and the exposure are fakes
 * that keep a list of points; the rule is the control handler's.
 */
import { expect, it } from 'vitest';
import { createControlHandler, type ControlLun } from '../../src/replication/control/handler.js';
import type { PointExposure } from '../../src/replication/control/point-actions.js';
import type { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { silentLogger } from '../replication/sim-backup.js';

const TARGET = 'iqn.2026-12.io.tandem:t';

it('an expose issued during a restore runs after it, and is refused for the point the restore dropped', async () => {
  let ids = [1, 2, 3];
  const ran: string[] = [];
  const device = {
    role: 'backup',
    points: {
      list: () => ids.map((id) => ({ id, at: id, origin: 'manual', bytes: 0 })),
      refuseRestore: () => undefined,
      async restore(id: number) {
        ran.push(`restore ${id} begins`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        ids = ids.filter((p) => p <= id);
        ran.push(`restore ${id} ends`);
        return { changedBytes: 0 };
      },
    },
  };
  const exposure: PointExposure = {
    async expose(_lun, id) {
      ran.push(`expose ${id}`);
      return 1;
    },
    async unexpose() {
      return [];
    },
  };
  const lun: ControlLun = { target: TARGET, lun: 0, path: '/lun0.img', device: device as unknown as ReplicatedDevice };
  const handle = createControlHandler({ role: 'backup', replicatorIqn: 'iqn.2026-12.io.tandem:replicator', luns: [lun], exposure, logger: silentLogger });
  const [restored, exposed] = await Promise.all([handle({ cmd: 'point-restore', id: 1 }, () => undefined), handle({ cmd: 'point-expose', id: 3 }, () => undefined)]);
  expect(restored.ok).toBe(true);
  expect(exposed).toEqual({ ok: false, code: 'refused', error: `point expose: ${TARGET} LUN 0 holds no point 3 (it holds 1)` });
  expect(ran).toEqual(['restore 1 begins', 'restore 1 ends']);
});
