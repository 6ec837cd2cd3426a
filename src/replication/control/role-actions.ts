/**
 * The control API's role changes: promote, demote, switchover and resolve, on each
 * selected replicated LUN in turn. A change that is not allowed now answers `refused` with
 * the reason (one line, exit 1); one pino event per action besides the engine's own.
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

export async function roleAction(request: RoleRequest, luns: readonly RoleActionLun[], log: Logger): Promise<ControlResponse> {
  const results: Array<Record<string, unknown>> = [];
  for (const l of luns) {
    const where = { target: l.target, lun: l.lun };
    try {
      const outcome = await run(request, l.device);
      results.push({ ...where, ...outcome });
    } catch (e) {
      if (!(e instanceof RoleChangeError)) throw e;
      log.warn({ event: 'admin', action: request.cmd, ...where, refused: e.message }, `admin: ${request.cmd} refused`);
      const prefix = luns.length > 1 ? `${l.target} LUN ${l.lun}: ` : '';
      return { ok: false, code: 'refused', error: `${request.cmd}: ${prefix}${e.message}` };
    }
  }
  log.info({ event: 'admin', action: request.cmd, results }, `admin: ${request.cmd}`);
  return { ok: true, result: { action: request.cmd, luns: results } };
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
