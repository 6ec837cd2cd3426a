/**
 * The admin control protocol: one JSON object per line each way, one response per request,
 * in order. Lines are bounded so a confused client cannot make the server buffer without limit.
 */
import { MAX_POINT_LABEL_BYTES } from '../../replica-protocol/index.js';
import type { ContinuousFlavour, ReplicationMode } from '../status.js';

/** Longest request or response line either side accepts (status of many LUNs fits easily). */
export const MAX_CONTROL_LINE_BYTES = 1024 * 1024;

/** Longest Unix socket path (sun_path less its NUL on Linux): a longer one is bound truncated, under another name. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Which replicated LUNs an admin action applies to: all of them when absent or empty. */
export interface LunSelector {
  /** Target IQN (compared case-insensitively, as iSCSI names are). */
  target?: string;
  lun?: number;
}

type Selectable = { select?: LunSelector };

export type ControlRequest =
  | { cmd: 'status' }
  /** The iSCSI sessions logged in to this server (src/target/session-summary.ts). */
  | { cmd: 'sessions' }
  | ({ cmd: 'mode'; mode: ReplicationMode; flavour?: ContinuousFlavour } & Selectable)
  | ({ cmd: 'replicate' } & Selectable)
  | ({ cmd: 'pause' } & Selectable)
  | ({ cmd: 'resume' } & Selectable)
  | ({ cmd: 'config-set'; key: string; value: string } & Selectable)
  /** Verify replicated LUNs against their configured replicas (the primary's image is the source). */
  /** `repair`: the differing chunks are marked and a pass copies them (the running pair's own way to the backup). */
  | ({ cmd: 'verify'; chunk?: number; depth?: number; repair?: boolean } & Selectable)
  /** Role changes (docs/replication.md, "Failover and failback"). */
  | ({ cmd: 'promote'; force: boolean } & Selectable)
  | ({ cmd: 'demote' } & Selectable)
  | ({ cmd: 'switchover' } & Selectable)
  | ({ cmd: 'resolve'; discardLocal: true } & Selectable)
  /** Recovery points (docs/replication.md, "Recovery points"). */
  | ({ cmd: 'point-create'; label?: string } & Selectable)
  | ({ cmd: 'points' } & Selectable)
  | ({ cmd: 'point-export'; id: number; to: string } & Selectable)
  | ({ cmd: 'point-restore'; id: number } & Selectable)
  | ({ cmd: 'point-expose'; id: number } & Selectable)
  | ({ cmd: 'point-unexpose'; id: number } & Selectable);

export type ControlErrorCode = 'bad-request' | 'unknown-key' | 'bad-value' | 'no-replication' | 'no-such-lun' | 'not-primary' | 'refused' | 'failed';

export type ControlResponse = { ok: true; result: unknown } | { ok: false; code: ControlErrorCode; error: string };

/** Sent before the response of a long action (a delta pass): chunks done of the total. */
export interface ControlProgress {
  progress: { done: number; total: number };
}

export class ControlProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlProtocolError';
  }
}

const MODES: readonly string[] = ['continuous', 'delta', 'auto'];
const FLAVOURS: readonly string[] = ['sync', 'async'];

/** Validates one decoded request line; anything else is a ControlProtocolError naming the problem. */
export function parseControlRequest(line: string): ControlRequest {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new ControlProtocolError('request is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ControlProtocolError('request must be a JSON object');
  const r = json as Record<string, unknown>;
  if (r.cmd === 'status' || r.cmd === 'sessions') return { cmd: r.cmd };
  const request = parseAction(r);
  const select = parseSelector(r.select);
  return select ? { ...request, select } : request;
}

function parseSelector(raw: unknown): LunSelector | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ControlProtocolError('select must be an object with target and/or lun');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (key !== 'target' && key !== 'lun') throw new ControlProtocolError(`select: unknown key ${JSON.stringify(key)}`);
  if (r.target !== undefined && (typeof r.target !== 'string' || r.target === '')) throw new ControlProtocolError('select.target must be a target IQN');
  if (r.lun !== undefined && (typeof r.lun !== 'number' || !Number.isSafeInteger(r.lun) || r.lun < 0 || r.lun > 16383)) throw new ControlProtocolError('select.lun must be a LUN number (0-16383)');
  const out: LunSelector = {};
  if (r.target !== undefined) out.target = r.target as string;
  if (r.lun !== undefined) out.lun = r.lun as number;
  return out.target === undefined && out.lun === undefined ? undefined : out;
}

/** The admin actions (every request but status), without their selector. */
function parseAction(r: Record<string, unknown>): Exclude<ControlRequest, { cmd: 'status' | 'sessions' }> {
  switch (r.cmd) {
    case 'replicate':
    case 'pause':
    case 'resume':
    case 'demote':
    case 'switchover':
      return { cmd: r.cmd };
    case 'promote':
      if (r.force !== undefined && typeof r.force !== 'boolean') throw new ControlProtocolError('promote force must be true or false');
      return { cmd: 'promote', force: r.force === true };
    case 'resolve':
      if (r.discardLocal !== true) throw new ControlProtocolError('resolve needs discardLocal: true (the only resolution: this node discards its changes)');
      return { cmd: 'resolve', discardLocal: true };
    case 'mode':
      if (typeof r.mode !== 'string' || !MODES.includes(r.mode)) throw new ControlProtocolError(`mode must be one of ${MODES.join(', ')}`);
      if (r.flavour !== undefined && (typeof r.flavour !== 'string' || !FLAVOURS.includes(r.flavour))) throw new ControlProtocolError('flavour must be sync or async');
      return r.flavour === undefined ? { cmd: 'mode', mode: r.mode as ReplicationMode } : { cmd: 'mode', mode: r.mode as ReplicationMode, flavour: r.flavour as ContinuousFlavour };
    case 'verify': {
      for (const k of ['chunk', 'depth'] as const) {
        const v = r[k];
        if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)) throw new ControlProtocolError(`verify ${k} must be a positive integer`);
      }
      if (r.repair !== undefined && typeof r.repair !== 'boolean') throw new ControlProtocolError('verify repair must be a boolean');
      return {
        cmd: 'verify',
        ...(r.chunk !== undefined ? { chunk: r.chunk as number } : {}),
        ...(r.depth !== undefined ? { depth: r.depth as number } : {}),
        ...(r.repair === true ? { repair: true } : {}),
      };
    }
    case 'config-set':
      if (typeof r.key !== 'string' || typeof r.value !== 'string') throw new ControlProtocolError('config-set needs string key and value');
      return { cmd: 'config-set', key: r.key, value: r.value };
    case 'point-create':
      if (r.label !== undefined && (typeof r.label !== 'string' || r.label === '' || Buffer.byteLength(r.label) > MAX_POINT_LABEL_BYTES)) {
        throw new ControlProtocolError(`point label must be 1 to ${MAX_POINT_LABEL_BYTES} bytes of text`);
      }
      return r.label === undefined ? { cmd: 'point-create' } : { cmd: 'point-create', label: r.label as string };
    case 'points':
      return { cmd: 'points' };
    case 'point-export':
      if (typeof r.to !== 'string' || !r.to.startsWith('/')) throw new ControlProtocolError('point-export needs an absolute path in to');
      return { cmd: 'point-export', id: pointId(r.id), to: r.to };
    case 'point-restore':
    case 'point-expose':
    case 'point-unexpose':
      return { cmd: r.cmd, id: pointId(r.id) };
    default:
      throw new ControlProtocolError(`unknown command ${JSON.stringify(r.cmd)}`);
  }
}

function pointId(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0) throw new ControlProtocolError('a point id is a positive integer');
  return raw;
}

/** Validates one decoded line from the server: a progress report or the response. */
export function parseControlMessage(line: string): ControlProgress | ControlResponse {
  const r = parseObject(line);
  if ('progress' in r) {
    const p = r.progress as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p.done !== 'number' || typeof p.total !== 'number') throw new ControlProtocolError('progress needs numeric done and total');
    return { progress: { done: p.done, total: p.total } };
  }
  return responseOf(r);
}

/** Validates one decoded response line. */
export function parseControlResponse(line: string): ControlResponse {
  return responseOf(parseObject(line));
}

function parseObject(line: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new ControlProtocolError('response is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ControlProtocolError('response must be a JSON object');
  return json as Record<string, unknown>;
}

function responseOf(r: Record<string, unknown>): ControlResponse {
  if (r.ok === true) return { ok: true, result: r.result };
  if (r.ok === false && typeof r.error === 'string' && typeof r.code === 'string') return { ok: false, code: r.code as ControlErrorCode, error: r.error };
  throw new ControlProtocolError('response has neither ok:true nor ok:false with code and error');
}

export function encodeLine(message: ControlRequest | ControlResponse | ControlProgress): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Splits a byte stream into lines, refusing (ControlProtocolError) any line longer than
 * `maxBytes` before buffering it whole.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;

  constructor(private readonly maxBytes = MAX_CONTROL_LINE_BYTES) {}

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.take(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.parts, this.pending).toString('utf8'));
      this.parts = [];
      this.pending = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  private take(piece: Buffer): void {
    if (this.pending + piece.length > this.maxBytes) {
      // The refused line's start is dropped, so a later newline cannot complete it.
      this.parts = [];
      this.pending = 0;
      throw new ControlProtocolError(`line longer than ${this.maxBytes} bytes`);
    }
    if (piece.length > 0) this.parts.push(piece);
    this.pending += piece.length;
  }
}
