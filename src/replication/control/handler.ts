/**
 * What the control API does: status of every LUN, and admin actions applied to every
 * replicated LUN of this server. Each action is one pino event `{event: 'admin', action, …}`.
 */
import type { Logger } from '../../util/log.js';
import type { ReplicatedDevice, ReplicationStatus } from '../replicated-device.js';
import type { DeltaPassResult } from '../delta-pass.js';
import type { ControlHandler } from './server.js';
import { UnknownKeyError, parseSetting } from './settable.js';

export interface ControlLun {
  target: string;
  lun: number;
  path: string;
  /** Replica URL with the secret redacted (primary only). */
  replica?: string;
  device?: ReplicatedDevice;
}

export interface ControlContext {
  role: 'primary' | 'backup';
  replicatorIqn: string;
  luns: readonly ControlLun[];
  logger: Logger;
}

export interface LunStatus {
  target: string;
  lun: number;
  path: string;
  replica?: string;
  replication?: ReplicationStatus;
}

export interface ServerStatus {
  role: 'primary' | 'backup';
  replicatorIqn: string;
  /** Server clock when the status was taken (ms since the epoch), for ages of `at` fields. */
  now: number;
  luns: LunStatus[];
}

export interface PassReport extends DeltaPassResult {
  target: string;
  lun: number;
}

export function createControlHandler(context: ControlContext): ControlHandler {
  const replicated = context.luns.filter((l): l is ControlLun & { device: ReplicatedDevice } => l.device !== undefined);
  const log = context.logger;
  const noReplication = () =>
    ({ ok: false, code: 'no-replication', error: `this server is a ${context.role} with no replicated LUN` }) as const;

  return async (request, progress) => {
    switch (request.cmd) {
      case 'status': {
        const status: ServerStatus = {
          role: context.role,
          replicatorIqn: context.replicatorIqn,
          now: Date.now(),
          luns: context.luns.map((l) => ({
            target: l.target,
            lun: l.lun,
            path: l.path,
            ...(l.replica !== undefined ? { replica: l.replica } : {}),
            ...(l.device ? { replication: l.device.status() } : {}),
          })),
        };
        return { ok: true, result: status };
      }
      case 'mode': {
        if (replicated.length === 0) return noReplication();
        for (const l of replicated) await l.device.setMode(request.mode, request.flavour);
        const states = replicated.map((l) => ({ target: l.target, lun: l.lun, state: l.device.status().state }));
        log.info({ event: 'admin', action: 'mode-set', mode: request.mode, flavour: request.flavour, states }, `admin: mode set ${request.mode}`);
        return { ok: true, result: { mode: request.mode, flavour: request.flavour, states } };
      }
      case 'replicate': {
        if (replicated.length === 0) return noReplication();
        const passes: PassReport[] = [];
        for (const l of replicated) passes.push({ target: l.target, lun: l.lun, ...(await l.device.replicateNow(progress)) });
        const bytesSent = passes.reduce((sum, p) => sum + p.bytesSent, 0);
        log.info({ event: 'admin', action: 'replicate', passes, bytesSent }, 'admin: delta pass');
        return { ok: true, result: { passes, bytesSent } };
      }
      case 'pause': {
        if (replicated.length === 0) return noReplication();
        for (const l of replicated) await l.device.pause();
        log.info({ event: 'admin', action: 'pause', luns: replicated.length }, 'admin: replication paused');
        return { ok: true, result: { paused: true } };
      }
      case 'resume': {
        if (replicated.length === 0) return noReplication();
        for (const l of replicated) l.device.resume();
        log.info({ event: 'admin', action: 'resume', luns: replicated.length }, 'admin: replication resumed');
        return { ok: true, result: { paused: false } };
      }
      case 'config-set': {
        let setting;
        try {
          setting = parseSetting(request.key, request.value);
        } catch (e) {
          if (e instanceof UnknownKeyError) return { ok: false, code: 'unknown-key', error: e.message };
          return { ok: false, code: 'bad-value', error: `${request.key}: ${(e as Error).message}` };
        }
        if (replicated.length === 0) return noReplication();
        for (const l of replicated) l.device.setThreshold(setting.key, setting.value);
        log.info({ event: 'admin', action: 'config-set', key: setting.key, value: setting.value }, `admin: ${setting.key} = ${setting.value}`);
        return { ok: true, result: setting };
      }
    }
  };
}
