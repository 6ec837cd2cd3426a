/**
 * The control API's recovery-point actions: create (on a primary: one point of every LUN of
 * each selected target, a consistency group), list, export and restore (on the node that
 * holds the points). Refusals and unknown ids answer with one line; one pino event each.
 */
import type { Logger } from '../../util/log.js';
import { PointRefusedError, RESTORE_ON_PRIMARY, type PointInfo } from '../points/backup-points.js';
import { PointNotTakenError, type ConsistencyGroup, type PointResult } from '../points/consistency-group.js';
import type { ReplicatedDevice } from '../replicated-device.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export interface PointActionLun {
  target: string;
  lun: number;
  device: ReplicatedDevice;
}

type PointRequest = Extract<ControlRequest, { cmd: 'point-create' | 'points' | 'point-export' | 'point-restore' | 'point-expose' | 'point-unexpose' }>;

/** Serves points as read-only LUNs of the node's targets (the server provides it: SCSI is not this layer's). */
export interface PointExposure {
  /** Adds a LUN serving point `id` of `lun`; returns its number. */
  expose(lun: PointActionLun, id: number): Promise<number>;
  /** Removes the LUNs serving point `id` of the target's given LUNs; returns their numbers. */
  unexpose(luns: readonly PointActionLun[], id: number): Promise<number[]>;
}

/** A target's points: those every one of its LUNs holds, with the bytes they hold together. */
export interface TargetPoints {
  target: string;
  luns: number[];
  points: Array<PointInfo & { luns: number }>;
  /** Points some LUNs hold and others do not (taken on part of the group only). */
  incomplete: number[];
  /** The LUNs are primaries: the points they create are kept on their backup, not listed here. */
  primary: boolean;
}

export async function pointAction(
  request: PointRequest,
  luns: readonly PointActionLun[],
  groups: ReadonlyMap<string, ConsistencyGroup>,
  exposure: PointExposure | undefined,
  log: Logger,
): Promise<ControlResponse> {
  const byTarget = groupByTarget(luns);
  try {
    switch (request.cmd) {
      case 'point-create': {
        const results: Array<PointResult & { target: string }> = [];
        for (const target of byTarget.keys()) {
          const group = groups.get(target.toLowerCase());
          if (!group) return { ok: false, code: 'refused', error: `point create: target ${target} has no consistency group (not a primary)` };
          results.push({ target, ...(await group.createPoint('manual', request.label)) });
        }
        return { ok: true, result: { points: results } };
      }
      case 'points':
        return { ok: true, result: { targets: [...byTarget].map(([target, ls]) => targetPoints(target, ls)) } };
      case 'point-expose': {
        if (luns.length > 1) return { ok: false, code: 'bad-request', error: 'point expose: name one LUN (--target IQN --lun N) of the LUNs holding points' };
        if (!exposure) return { ok: false, code: 'refused', error: 'point expose: this server cannot add LUNs' };
        const l = luns[0]!;
        requirePoint(l, request.id);
        const exposed = await exposure.expose(l, request.id);
        log.info({ event: 'admin', action: 'point-expose', target: l.target, lun: l.lun, id: request.id, exposedLun: exposed }, `admin: point ${request.id} of LUN ${l.lun} exposed as LUN ${exposed}`);
        return { ok: true, result: { target: l.target, lun: l.lun, id: request.id, exposedLun: exposed } };
      }
      case 'point-unexpose': {
        const removed = exposure ? await exposure.unexpose(luns, request.id) : [];
        if (removed.length === 0) return { ok: false, code: 'refused', error: `point unexpose: point ${request.id} is not exposed` };
        log.info({ event: 'admin', action: 'point-unexpose', id: request.id, removedLuns: removed }, `admin: point ${request.id} unexposed`);
        return { ok: true, result: { id: request.id, removedLuns: removed } };
      }
      case 'point-export': {
        if (byTarget.size > 1 || luns.length > 1) return { ok: false, code: 'bad-request', error: 'point export: name one LUN (--target IQN --lun N) of the LUNs holding points' };
        const l = luns[0]!;
        requirePoint(l, request.id);
        const r = await l.device.points.exportTo(request.id, request.to);
        log.info({ event: 'admin', action: 'point-export', target: l.target, lun: l.lun, id: request.id, to: request.to, ...r }, `admin: point ${request.id} exported`);
        return { ok: true, result: { target: l.target, lun: l.lun, id: request.id, to: request.to, ...r } };
      }
      case 'point-restore': {
        // The role first: on a primary no point is restorable, whatever it holds.
        if (luns.some((l) => l.device.role === 'primary')) throw new PointRefusedError(RESTORE_ON_PRIMARY);
        // Every LUN asked first: a refusal of one must not leave the others rolled back alone.
        for (const l of luns) {
          requirePoint(l, request.id);
          l.device.points.refuseRestore(request.id);
        }
        const restored = [];
        for (const l of luns) restored.push({ target: l.target, lun: l.lun, ...(await l.device.points.restore(request.id)) });
        log.warn({ event: 'admin', action: 'point-restore', id: request.id, restored }, `admin: restored to point ${request.id}`);
        return { ok: true, result: { id: request.id, luns: restored } };
      }
    }
  } catch (e) {
    if (e instanceof PointRefusedError || e instanceof PointNotTakenError || e instanceof UnknownPointError) return { ok: false, code: 'refused', error: `${request.cmd.replace('-', ' ')}: ${e.message}` };
    throw e;
  }
}

class UnknownPointError extends Error {}

function requirePoint(l: PointActionLun, id: number): void {
  const points = l.device.points.list();
  if (!points.some((p) => p.id === id)) {
    const held = points.length === 0 ? 'it holds none' : `it holds ${points.map((p) => p.id).join(', ')}`;
    throw new UnknownPointError(`${l.target} LUN ${l.lun} holds no point ${id} (${held})`);
  }
}

function groupByTarget(luns: readonly PointActionLun[]): Map<string, PointActionLun[]> {
  const out = new Map<string, PointActionLun[]>();
  for (const l of luns) out.set(l.target, [...(out.get(l.target) ?? []), l]);
  return out;
}

function targetPoints(target: string, luns: readonly PointActionLun[]): TargetPoints {
  const lists = luns.map((l) => l.device.points.list());
  const count = new Map<number, { info: PointInfo; bytes: number; luns: number }>();
  for (const list of lists) {
    for (const p of list) {
      const c = count.get(p.id);
      if (c) {
        c.bytes += p.bytes;
        c.luns++;
      } else count.set(p.id, { info: p, bytes: p.bytes, luns: 1 });
    }
  }
  const points = [...count.values()].filter((c) => c.luns === luns.length).map((c) => ({ ...c.info, bytes: c.bytes, luns: c.luns }));
  const incomplete = [...count.values()].filter((c) => c.luns < luns.length).map((c) => c.info.id);
  const primary = luns.every((l) => l.device.role === 'primary');
  return { target, luns: luns.map((l) => l.lun), points: points.sort((a, b) => a.id - b.id), incomplete: incomplete.sort((a, b) => a - b), primary };
}
