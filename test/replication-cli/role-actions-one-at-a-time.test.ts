/**
 * A node's role actions run one after another: each asks every selected LUN, then changes
 * each, and a second action issued meanwhile (another admin, a retrying script) starts only
 * once the first has finished, so it is checked against the roles the first left, not
 * interleaved between its LUNs. The devices are fakes that record what ran; the rule is the
 * control handler's.
 */
import { expect, it } from 'vitest';
import { createControlHandler, type ControlLun } from '../../src/replication/control/handler.js';
import type { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { RoleChangeError } from '../../src/replication/role-manager.js';
import { silentLogger } from '../replication/sim-backup.js';

const TARGET = 'iqn.2026-12.io.tandem:t';

function primaryLun(lun: number, ran: string[]): ControlLun {
  const device = {
    role: 'primary' as 'primary' | 'backup',
    async checkRoleChange() {
      ran.push(`check ${lun}`);
      if (device.role !== 'primary') throw new RoleChangeError('this node is not the primary: switchover runs on the primary');
    },
    async switchover() {
      ran.push(`switchover ${lun}`);
      // The drain takes a while: a second request has time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 20));
      device.role = 'backup';
      return { heldMs: 20 };
    },
  };
  return { target: TARGET, lun, path: `/lun${lun}.img`, device: device as unknown as ReplicatedDevice };
}

it('a second switchover of two LUNs waits for the first, then is refused for the roles it left', async () => {
  const ran: string[] = [];
  const handle = createControlHandler({ role: 'primary', replicatorIqn: 'iqn.2026-12.io.tandem:replicator', luns: [primaryLun(0, ran), primaryLun(1, ran)], logger: silentLogger });
  const [first, second] = await Promise.all([handle({ cmd: 'switchover' }, () => undefined), handle({ cmd: 'switchover' }, () => undefined)]);
  expect(first.ok).toBe(true);
  expect(second).toEqual({ ok: false, code: 'refused', error: `switchover: ${TARGET} LUN 0: this node is not the primary: switchover runs on the primary` });
  expect(ran).toEqual(['check 0', 'check 1', 'switchover 0', 'switchover 1', 'check 0']);
});
