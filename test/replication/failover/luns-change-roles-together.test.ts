/**
 * A node's LUNs change roles together (control/role-actions.ts): every LUN is asked before
 * any changes, so one LUN's refusal changes none; LUNs already in the role the action leads
 * to are left as they are while the others change, so the same command run again finishes
 * one that stopped part way; when all are there already, the command is refused as for one.
 * The devices are fakes that record what ran: the rule is the action's, not the engine's.
 */
import { describe, expect, it } from 'vitest';
import { roleAction, type RoleActionLun } from '../../../src/replication/control/role-actions.js';
import type { ReplicatedDevice } from '../../../src/replication/replicated-device.js';
import { RoleChangeError } from '../../../src/replication/role-manager.js';
import { silentLogger } from '../sim-backup.js';

type Role = 'primary' | 'backup';

/** A LUN whose role changes succeed unless `refuse` names the change. */
function fakeLun(lun: number, role: Role, ran: string[], refuse?: 'promote' | 'switchover' | 'promote-late'): RoleActionLun {
  const device = {
    role,
    async checkRoleChange(change: 'promote' | 'switchover') {
      if (change === 'promote' && device.role === 'primary') throw new RoleChangeError('this node is already the primary');
      if (change === refuse) throw new RoleChangeError(`LUN ${lun} cannot ${change} now`);
    },
    async promote() {
      if (refuse === 'promote-late') throw new RoleChangeError(`LUN ${lun}: the peer changed meanwhile`);
      ran.push(`promote ${lun}`);
      device.role = 'primary';
      return { generation: 'g', newestWriteAt: undefined };
    },
    async switchover() {
      ran.push(`switchover ${lun}`);
      device.role = 'backup';
      return { heldMs: 1 };
    },
    async demote() {
      if (device.role !== 'primary') throw new RoleChangeError('this node is not the primary: demote applies to a primary');
      ran.push(`demote ${lun}`);
      device.role = 'backup';
    },
  };
  return { target: 'iqn.2026-12.io.tandem:t', lun, device: device as unknown as ReplicatedDevice };
}

const roles = (luns: RoleActionLun[]) => luns.map((l) => l.device.role);

describe('role changes of a node with several LUNs', () => {
  it('a promote refused for one LUN promotes none', async () => {
    const ran: string[] = [];
    const luns = [fakeLun(0, 'backup', ran), fakeLun(1, 'backup', ran, 'promote')];
    const r = await roleAction({ cmd: 'promote', force: false }, luns, silentLogger);
    expect(r).toEqual({ ok: false, code: 'refused', error: 'promote: iqn.2026-12.io.tandem:t LUN 1: LUN 1 cannot promote now' });
    expect(ran).toEqual([]);
    expect(roles(luns)).toEqual(['backup', 'backup']);
  });

  it('a switchover refused for one LUN switches none', async () => {
    const ran: string[] = [];
    const luns = [fakeLun(0, 'primary', ran), fakeLun(1, 'primary', ran, 'switchover')];
    const r = await roleAction({ cmd: 'switchover' }, luns, silentLogger);
    expect(r.ok).toBe(false);
    expect(ran).toEqual([]);
    expect(roles(luns)).toEqual(['primary', 'primary']);
  });

  it('promote on a node promoted part way promotes the rest and reports the others unchanged', async () => {
    const ran: string[] = [];
    const luns = [fakeLun(0, 'primary', ran), fakeLun(1, 'backup', ran), fakeLun(2, 'primary', ran)];
    const r = await roleAction({ cmd: 'promote', force: true }, luns, silentLogger);
    expect(r.ok).toBe(true);
    expect(ran).toEqual(['promote 1']);
    expect(roles(luns)).toEqual(['primary', 'primary', 'primary']);
    const result = (r as { result: { luns: Array<Record<string, unknown>> } }).result.luns;
    expect(result.map((x) => [x.lun, x.unchanged ?? false])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
  });

  it('switchover and demote finish what an earlier run left part way', async () => {
    const ran: string[] = [];
    const switched = [fakeLun(0, 'backup', ran), fakeLun(1, 'primary', ran)];
    expect((await roleAction({ cmd: 'switchover' }, switched, silentLogger)).ok).toBe(true);
    const demoted = [fakeLun(0, 'primary', ran), fakeLun(1, 'backup', ran)];
    expect((await roleAction({ cmd: 'demote' }, demoted, silentLogger)).ok).toBe(true);
    expect(ran).toEqual(['switchover 1', 'demote 0']);
  });

  it('every LUN already in the role: refused as one LUN alone is', async () => {
    const ran: string[] = [];
    const luns = [fakeLun(0, 'primary', ran), fakeLun(1, 'primary', ran)];
    const r = await roleAction({ cmd: 'promote', force: true }, luns, silentLogger);
    expect(r).toEqual({ ok: false, code: 'refused', error: 'promote: iqn.2026-12.io.tandem:t LUN 0: this node is already the primary' });
    const alone = await roleAction({ cmd: 'demote' }, [fakeLun(0, 'backup', ran)], silentLogger);
    expect(alone).toEqual({ ok: false, code: 'refused', error: 'demote: this node is not the primary: demote applies to a primary' });
    expect(ran).toEqual([]);
  });

  it('a refusal that comes only while changing (the peer moved meanwhile) stops there, and a second run finishes', async () => {
    const ran: string[] = [];
    const late = fakeLun(1, 'backup', ran, 'promote-late');
    const luns = [fakeLun(0, 'backup', ran), late];
    expect((await roleAction({ cmd: 'promote', force: false }, luns, silentLogger)).ok).toBe(false);
    expect(roles(luns)).toEqual(['primary', 'backup']);
    const again = [luns[0]!, fakeLun(1, 'backup', ran)];
    expect((await roleAction({ cmd: 'promote', force: false }, again, silentLogger)).ok).toBe(true);
    expect(ran).toEqual(['promote 0', 'promote 1']);
  });
});
