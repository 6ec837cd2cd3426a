/**
 * What the control API does: status of every LUN, and admin actions applied to the
 * replicated LUNs a request selects (all of them by default). Each action is one pino
 * event `{event: 'admin', action, …}`.
 */
import type { Logger } from '../../util/log.js';
import type { ReplicatedDevice } from '../replicated-device.js';
import type { ReplicationStatus } from '../status.js';
import type { DeltaPassResult } from '../delta-pass.js';
import type { ControlHandler } from './server.js';
import type { ControlRequest, ControlResponse, LunSelector } from './protocol.js';
import { NotPrimaryError } from '../replicated-device.js';
import { modeChange, persistEverywhere, settingChange } from './persisted-settings.js';
import { SerialQueue } from '../../util/serial-queue.js';
import { pointAction, type PointExposure } from './point-actions.js';
import { roleAction } from './role-actions.js';
import type { ConsistencyGroup } from '../points/consistency-group.js';
import { UnknownKeyError, formatSetting, parseSetting } from './settable.js';

export interface ControlLun {
  target: string;
  lun: number;
  path: string;
  /** Replica URL with the secret redacted (primary only). */
  replica?: string;
  device?: ReplicatedDevice;
  /** Where `tandem config set` persists its values (the LUN's metadata directory). */
  metaDir?: string;
}

/** Runs the verify engine for one replicated LUN (image as source, its replica as replica). */
export type LunVerifier = (lun: ControlLun, options: { chunk?: number; depth?: number; onProgress: (done: number, total: number) => void }) => Promise<unknown>;

export interface VerifyLunReport {
  target: string;
  lun: number;
  /** The verify engine's report (src/verify/engine.ts VerifyReport). */
  report: unknown;
  /** `tandem verify --repair`: the pass that copied the differing chunks. */
  repair?: DeltaPassResult;
}

/** What the handler reads of a verify report to repair it (src/verify/engine.ts VerifyReport). */
interface DifferingExtents {
  differingChunks: number;
  blockSize: number;
  differing: Array<{ lba: number; blocks: number }>;
}

/** The differing extents marked in the LUN's delta table and copied by a pass, as any change the backup lacks. */
function repairByPass(device: ReplicatedDevice, report: DifferingExtents, onProgress: (done: number, total: number) => void): Promise<DeltaPassResult> | undefined {
  if (report.differingChunks === 0) return undefined;
  return device.verifyHooks().resync(report.differing.map((e) => ({ offset: e.lba * report.blockSize, length: e.blocks * report.blockSize })), onProgress);
}

export interface ControlContext {
  /** Undefined on a plain target (no replication): only status and sessions apply. */
  role: 'primary' | 'backup' | undefined;
  replicatorIqn: string;
  luns: readonly ControlLun[];
  logger: Logger;
  /** `tandem verify` without --source/--replica, for the LUNs this node is primary of. */
  verify?: LunVerifier;
  /** A primary's consistency groups, by target IQN in lower case: `tandem point create`. */
  groups?: ReadonlyMap<string, ConsistencyGroup>;
  /** Points served as read-only LUNs: `tandem point expose|unexpose`. */
  exposure?: PointExposure;
  /** The iSCSI sessions logged in now (the target's summaries, passed through as they are). */
  sessions?: () => readonly unknown[];
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

/** ServerStatus of any server, replicating or not. */
export type AnyServerStatus = Omit<ServerStatus, 'role'> & { role: ServerStatus['role'] | undefined };

export interface PassReport extends DeltaPassResult {
  target: string;
  lun: number;
}

/** The status the control API and the metrics endpoint report. */
export function serverStatus(context: Pick<ControlContext, 'replicatorIqn' | 'luns'> & { role: ServerStatus['role'] }): ServerStatus;
/** A plain target (no role) has no replication, only its LUNs: the control API and the metrics endpoint still report them. */
export function serverStatus(context: Pick<ControlContext, 'role' | 'replicatorIqn' | 'luns'>): AnyServerStatus;
export function serverStatus(context: Pick<ControlContext, 'role' | 'replicatorIqn' | 'luns'>): AnyServerStatus {
  return {
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
}

export function createControlHandler(context: ControlContext): ControlHandler {
  const allReplicated = context.luns.filter((l): l is ControlLun & { device: ReplicatedDevice } => l.device !== undefined);
  const log = context.logger;
  // Each role action asks every LUN, then changes each: another issued meanwhile (a second
  // admin, a retrying script) runs after it, not between its LUNs.
  const roleActions = new SerialQueue();
  // Each settings change reads, merges and replaces the LUNs' settings files: two at once
  // (a script setting keys in parallel) would each write back what it read, losing the other.
  const settingsChanges = new SerialQueue();
  // A restore drops the points after its own: an expose of one of them while it runs would
  // serve a point about to vanish. Restores, exposes and unexposes go one at a time.
  const pointChanges = new SerialQueue();
  const noReplication = () =>
    ({ ok: false, code: 'no-replication', error: context.role ? `this server is a ${context.role} with no replicated LUN` : 'this server replicates nothing (it was started without --role)' }) as const;

  return async (request, progress) => {
    try {
      return await handle(request, progress);
    } catch (e) {
      // A primary-only action reached a LUN this node backs up: one line, exit 1.
      if (e instanceof NotPrimaryError) return { ok: false, code: 'not-primary', error: e.message };
      throw e;
    }
  };

  async function handle(request: ControlRequest, progress: (done: number, total: number) => void): Promise<ControlResponse> {
    if (request.cmd === 'status') return { ok: true, result: serverStatus(context) };
    if (request.cmd === 'sessions') return { ok: true, result: { now: Date.now(), sessions: context.sessions?.() ?? [] } };
    const replicated = selected(allReplicated, request.select);
    if (request.select && replicated.length === 0 && allReplicated.length > 0) {
      return { ok: false, code: 'no-such-lun', error: `no replicated LUN matches ${describeSelector(request.select)} (replicated: ${allReplicated.map((l) => `${l.target} LUN ${l.lun}`).join(', ')})` };
    }
    if (PRIMARY_ONLY.has(request.cmd)) {
      // Refused before any LUN acts: a node whose LUNs are mid role change would otherwise pause some and not the others.
      const backup = replicated.find((l) => l.device.role !== 'primary');
      if (backup) return { ok: false, code: 'not-primary', error: new NotPrimaryError(request.cmd, replicated.length > 1 ? `${backup.target} LUN ${backup.lun}: ` : '').message };
    }
    switch (request.cmd) {
      case 'mode': {
        if (replicated.length === 0) return noReplication();
        // Recorded for every LUN or none before any acts: a restart then brings them all back as decided.
        await settingsChanges.run(async () => {
          await persistEverywhere(metaDirsOf(replicated), modeChange(request.mode, request.flavour));
          for (const l of replicated) await l.device.setMode(request.mode, request.flavour);
        });
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
        await settingsChanges.run(async () => {
          await persistEverywhere(metaDirsOf(replicated), settingChange(setting));
          for (const l of replicated) {
            if (setting.key === 'afterSplitBrain') l.device.setSplitBrainPolicy(setting.value);
            else if (setting.key === 'retention') await l.device.points.setRetention(setting.value);
            else if (setting.key === 'pointInterval') context.groups?.get(l.target.toLowerCase())?.schedule(setting.value);
            else l.device.setThreshold(setting.key, setting.value);
          }
        });
        const shown = formatSetting(setting);
        log.info({ event: 'admin', action: 'config-set', key: setting.key, value: shown }, `admin: ${setting.key} = ${shown}`);
        return { ok: true, result: setting };
      }
      case 'promote':
      case 'demote':
      case 'switchover':
      case 'resolve':
        if (replicated.length === 0) return noReplication();
        return roleActions.run(() => roleAction(request, replicated, log));
      case 'point-create':
      case 'points':
      case 'point-export':
      case 'point-restore':
      case 'point-expose':
      case 'point-unexpose':
        if (replicated.length === 0) return noReplication();
        const act = () => pointAction(request, replicated, context.groups ?? new Map(), context.exposure, log);
        return POINT_CHANGES.has(request.cmd) ? pointChanges.run(act) : act();
      case 'verify': {
        if (replicated.length === 0 || !context.verify) return noReplication();
        // The LUNs this node is primary of now (a promoted backup's too), each against its peer.
        const sources = replicated.filter((l) => l.replica !== undefined && l.device.role === 'primary');
        if (sources.length === 0) {
          if (replicated.some((l) => l.device.role === 'backup')) throw new NotPrimaryError('verify');
          return { ok: false, code: 'no-replication', error: 'no replicated LUN of this server has a peer to verify against (--peer)' };
        }
        const reports: VerifyLunReport[] = [];
        for (const l of sources) {
          const report = await context.verify(l, {
            ...(request.chunk !== undefined ? { chunk: request.chunk } : {}),
            ...(request.depth !== undefined ? { depth: request.depth } : {}),
            onProgress: progress,
          });
          const repair = request.repair ? await repairByPass(l.device, report as DifferingExtents, progress) : undefined;
          reports.push({ target: l.target, lun: l.lun, report, ...(repair ? { repair } : {}) });
        }
        log.info(
          { event: 'admin', action: request.repair ? 'verify-repair' : 'verify', luns: reports.map((r) => ({ target: r.target, lun: r.lun, differingChunks: (r.report as DifferingExtents).differingChunks, ...(r.repair ? { repairedBytes: r.repair.bytesSent } : {}) })) },
          'admin: verify',
        );
        return { ok: true, result: { reports } };
      }
    }
  }
}

/** Actions only a primary's engine takes: all selected LUNs must be primary, or none acts. */
const PRIMARY_ONLY = new Set<ControlRequest['cmd']>(['pause', 'resume', 'replicate']);
const POINT_CHANGES = new Set<ControlRequest['cmd']>(['point-restore', 'point-expose', 'point-unexpose']);

function selected<T extends ControlLun>(luns: readonly T[], select: LunSelector | undefined): readonly T[] {
  if (!select) return luns;
  return luns.filter((l) => (select.target === undefined || l.target.toLowerCase() === select.target.toLowerCase()) && (select.lun === undefined || l.lun === select.lun));
}

function describeSelector(select: LunSelector): string {
  return [select.target !== undefined ? `target ${select.target}` : '', select.lun !== undefined ? `LUN ${select.lun}` : ''].filter(Boolean).join(' ');
}

/** Where the selected LUNs keep their run-time settings (a LUN without a metadata directory keeps none). */
function metaDirsOf(luns: readonly ControlLun[]): string[] {
  return luns.flatMap((l) => (l.metaDir !== undefined ? [l.metaDir] : []));
}
