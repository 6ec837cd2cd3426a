/**
 * The control API's role changes: promote, demote, switchover and resolve, on each
 * selected replicated LUN in turn. A change that is not allowed now answers `refused` with
 * the reason (one line, exit 1); one pino event per action besides the engine's own.
 *
 * A node's LUNs change roles together: every LUN is asked first, so a refusal of one (its
 * resync unfinished, its peer still primary) changes none; and LUNs already in the role the
 * action leads to are left as they are when others are not, so running the command again
 * finishes one that stopped part way (the peer refusing a switchover of a later LUN, a crash).
 */
import type { Logger } from '../../util/log.js';
import type { ReplicatedDevice } from '../replicated-device.js';
import { RoleChangeError } from '../role-manager.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export interface RoleActionLun {
  target: string;
  lun: number;
  device: ReplicatedDevice;
}

type RoleRequest = Extract<ControlRequest, { cmd: 'promote' | 'demote' | 'switchover' | 'resolve' }>;

/** The role each action leaves a LUN in (resolve: either). */
const LEADS_TO: Partial<Record<RoleRequest['cmd'], string>> = { promote: 'primary', demote: 'backup', switchover: 'backup' };

export async function roleAction(request: RoleRequest, luns: readonly RoleActionLun[], log: Logger): Promise<ControlResponse> {
  const leadsTo = LEADS_TO[request.cmd];
  const pending = luns.filter((l) => l.device.role !== leadsTo);
  // All there already: each refuses as it would alone ("already the primary").
  const todo = pending.length > 0 ? pending : luns;
  const outcomes = new Map<RoleActionLun, Record<string, unknown>>();
  const refused = (l: RoleActionLun, e: unknown): ControlResponse => {
    if (!(e instanceof RoleChangeError)) throw e;
    log.warn({ event: 'admin', action: request.cmd, target: l.target, lun: l.lun, refused: e.message }, `admin: ${request.cmd} refused`);
    const prefix = luns.length > 1 ? `${l.target} LUN ${l.lun}: ` : '';
    return { ok: false, code: 'refused', error: `${request.cmd}: ${prefix}${e.message}` };
  };
  for (const l of todo) {
    try {
      await check(request, l.device);
    } catch (e) {
      return refused(l, e);
    }
  }
  for (const l of todo) {
    try {
      outcomes.set(l, await run(request, l.device));
    } catch (e) {
      return refused(l, e);
    }
  }
  const results = luns.map((l) => ({ target: l.target, lun: l.lun, ...(outcomes.get(l) ?? { role: l.device.role, unchanged: true }) }));
  log.info({ event: 'admin', action: request.cmd, results }, `admin: ${request.cmd}`);
  return { ok: true, result: { action: request.cmd, luns: results } };
}

/** Throws the refusal `run` would meet, changing nothing (demote and resolve check as they run). */
async function check(request: RoleRequest, device: ReplicatedDevice): Promise<void> {
  if (request.cmd === 'promote' || request.cmd === 'switchover') await device.checkRoleChange(request.cmd, request.cmd === 'promote' && request.force);
}

async function run(request: RoleRequest, device: ReplicatedDevice): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'promote': {
      const r = await device.promote(request.force);
      return { role: 'primary', generation: r.generation, ...(r.newestWriteAt !== undefined ? { newestWriteAt: r.newestWriteAt } : {}) };
    }
    case 'demote':
      await device.demote();
      return { role: 'backup' };
    case 'switchover': {
      const r = await device.switchover();
      return { role: 'backup', heldMs: r.heldMs };
    }
    case 'resolve': {
      const r = await device.resolveDiscardLocal();
      return { role: device.role, discardedBytes: r.discardedBytes };
    }
  }
}
