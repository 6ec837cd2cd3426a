/**
 * pause, resume and replicate act on all the selected LUNs or on none: a node whose LUNs are
 * mid role change (one promoted, the other still a backup: a crash between them) refuses
 * them before any LUN acts, naming the LUN that is a backup; with every LUN primary, each
 * acts. The devices are fakes that record what ran: the rule is the control handler's.
 */
import { describe, expect, it } from 'vitest';
import { createControlHandler, type ControlLun } from '../../src/replication/control/handler.js';
import type { ControlRequest } from '../../src/replication/control/protocol.js';
import type { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { NotPrimaryError } from '../../src/replication/replicated-device.js';
import { silentLogger } from '../replication/sim-backup.js';

const TARGET = 'iqn.2026-12.io.tandem:t';

function fakeLun(lun: number, role: 'primary' | 'backup', ran: string[]): ControlLun {
  const primaryOnly = (action: string) => {
    if (role !== 'primary') throw new NotPrimaryError(action);
    ran.push(`${action} ${lun}`);
  };
  const device = {
    role,
    async pause() {
      primaryOnly('pause');
    },
    resume() {
      primaryOnly('resume');
    },
    async replicateNow() {
      primaryOnly('replicate');
      return { bytesSent: 0 };
    },
  };
  return { target: TARGET, lun, path: `/lun${lun}.img`, device: device as unknown as ReplicatedDevice };
}

const handlerFor = (luns: ControlLun[]) => createControlHandler({ role: 'primary', replicatorIqn: 'iqn.2026-12.io.tandem:replicator', luns, logger: silentLogger });
const noProgress = () => undefined;

describe('primary-only actions on a node of two LUNs', () => {
  for (const cmd of ['pause', 'resume', 'replicate'] as const) {
    it(`${cmd} with LUN 1 still a backup acts on neither LUN`, async () => {
      const ran: string[] = [];
      const handle = handlerFor([fakeLun(0, 'primary', ran), fakeLun(1, 'backup', ran)]);
      const r = await handle({ cmd } as ControlRequest, noProgress);
      expect(r).toEqual({ ok: false, code: 'not-primary', error: `${cmd}: ${TARGET} LUN 1: this node is a backup for this LUN (its primary replicates)` });
      expect(ran).toEqual([]);
    });

    it(`${cmd} with both LUNs primary acts on both`, async () => {
      const ran: string[] = [];
      const handle = handlerFor([fakeLun(0, 'primary', ran), fakeLun(1, 'primary', ran)]);
      const r = await handle({ cmd } as ControlRequest, noProgress);
      expect(r.ok).toBe(true);
      expect(ran).toEqual([`${cmd} 0`, `${cmd} 1`]);
    });
  }

  it('a request selecting the primary LUN alone still acts on it', async () => {
    const ran: string[] = [];
    const handle = handlerFor([fakeLun(0, 'primary', ran), fakeLun(1, 'backup', ran)]);
    expect((await handle({ cmd: 'pause', select: { lun: 0 } }, noProgress)).ok).toBe(true);
    expect(ran).toEqual(['pause 0']);
  });

  it('one selected backup LUN is refused without naming it, as before', async () => {
    const ran: string[] = [];
    const handle = handlerFor([fakeLun(0, 'backup', ran)]);
    expect(await handle({ cmd: 'pause' }, noProgress)).toEqual({ ok: false, code: 'not-primary', error: 'pause: this node is a backup for this LUN (its primary replicates)' });
    expect(ran).toEqual([]);
  });
});
