/**
 * What a replicated volume keeps beside its LUN in `replication.json` (replaced atomically):
 * its identity (volume UUID, start-over generation, whether the replica holds a first full
 * copy), the role the node last held, its generation identifiers, the device identity both
 * nodes present to hosts, and an unfinished resynchronisation of this node.
 */
import { join } from 'node:path';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import { readFileIfExists, writeFileAtomic } from '../block/atomic-file.js';
import { formatGeneration, parseGeneration, type GenerationId, type Generations } from './generations.js';
import type { ReplicationRole } from './settings.js';

export const IDENTITY_FILE = 'replication.json';

export interface VolumeIdentity {
  volumeId: string;
  /** Bumped on every start-over (a takeover of another volume's replica). */
  generation: number;
  /** The replica has received a complete image of this volume (a first sync finished). */
  replicaSynced: boolean;
}

/** VPD 83h NAA designator and unit serial number: the same on both nodes of a pair. */
export interface DeviceIdentity {
  /** 16 bytes, NAA IEEE Registered Extended. */
  naa: Buffer;
  serial: string;
}

export interface VolumeRecord extends VolumeIdentity {
  /** The role this node last held: wins over --role at restart. */
  role: ReplicationRole | undefined;
  generations: Generations;
  device: DeviceIdentity | undefined;
  /** This node is being resynchronised from the peer whose current generation this is (unfinished). */
  resyncFrom: GenerationId | undefined;
  /** Backup: when it last applied a write from the primary (ms since the epoch). */
  newestWriteAt: number | undefined;
  /** ALUA target port group of this node's port, chosen when the volume was created here. */
  portGroup: number | undefined;
  /** The newest recovery point id this node handed out as a primary (the next is above it). */
  lastPointId: number | undefined;
  /**
   * A switchover made this node a backup and its peer never confirmed taking over: the
   * generation the peer holds to do so. The backup keeps asking it (a kill or a long cut of
   * the link mid-switchover otherwise left both nodes backups).
   */
  handingOverTo: GenerationId | undefined;
}

export class IdentityFileError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'IdentityFileError';
  }
}

interface StoredGenerations {
  current: string;
  bitmap: string;
  history: string[];
  since: number;
}

/** As stored: records written before generations existed have none. */
export type StoredVolumeRecord = Omit<VolumeRecord, 'generations'> & { generations: Generations | undefined };

export function parseVolumeRecord(path: string, raw: Buffer): StoredVolumeRecord {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new IdentityFileError(path, 'not valid JSON');
  }
  const o = v as Record<string, unknown>;
  if (typeof o.volumeId !== 'string' || !/^[0-9a-f-]{36}$/i.test(o.volumeId)) throw new IdentityFileError(path, 'volumeId missing or not a UUID');
  if (!Number.isSafeInteger(o.generation) || (o.generation as number) < 0) throw new IdentityFileError(path, 'generation missing or invalid');
  if (o.role !== undefined && o.role !== 'primary' && o.role !== 'backup') throw new IdentityFileError(path, 'role must be primary or backup');
  const field = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new IdentityFileError(path, `${name}: ${(e as Error).message}`);
    }
  };
  const replicaSynced = o.replicaSynced === true;
  return {
    volumeId: o.volumeId,
    generation: o.generation as number,
    replicaSynced,
    role: o.role as ReplicationRole | undefined,
    generations: o.generations === undefined ? undefined : field('generations', () => parseGenerations(o.generations)),
    device: o.device === undefined ? undefined : field('device', () => parseDevice(o.device)),
    resyncFrom: o.resyncFrom === undefined ? undefined : field('resyncFrom', () => parseGeneration(String(o.resyncFrom))),
    newestWriteAt: typeof o.newestWriteAt === 'number' ? o.newestWriteAt : undefined,
    portGroup: o.portGroup === undefined ? undefined : field('portGroup', () => parsePortGroup(o.portGroup)),
    lastPointId: Number.isSafeInteger(o.lastPointId) && (o.lastPointId as number) > 0 ? (o.lastPointId as number) : undefined,
    handingOverTo: o.handingOverTo === undefined ? undefined : field('handingOverTo', () => parseGeneration(String(o.handingOverTo))),
  };
}

function parseGenerations(raw: unknown): Generations {
  const g = raw as Partial<StoredGenerations>;
  if (typeof g !== 'object' || g === null || !Array.isArray(g.history) || typeof g.since !== 'number') throw new Error('expected {current, bitmap, history, since}');
  const id = (text: unknown) => (text === '' ? 0n : parseGeneration(String(text)));
  return { current: id(g.current), bitmap: id(g.bitmap), history: g.history.map(id), since: g.since };
}

function parsePortGroup(raw: unknown): number {
  if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > 0xffff) throw new Error('must be an integer 1-65535');
  return raw as number;
}

function parseDevice(raw: unknown): DeviceIdentity {
  const d = raw as { naa?: unknown; serial?: unknown };
  if (typeof d.naa !== 'string' || !/^[0-9a-f]{32}$/i.test(d.naa)) throw new Error('naa must be 32 hex digits');
  if (typeof d.serial !== 'string' || !/^[\x20-\x7e]{1,32}$/.test(d.serial)) throw new Error('serial must be 1-32 printable characters');
  return { naa: Buffer.from(d.naa, 'hex'), serial: d.serial };
}

export function serializeVolumeRecord(r: VolumeRecord): string {
  const g = r.generations;
  const stored = {
    volumeId: r.volumeId,
    generation: r.generation,
    replicaSynced: r.replicaSynced,
    ...(r.role ? { role: r.role } : {}),
    generations: { current: genText(g.current), bitmap: genText(g.bitmap), history: g.history.map(genText), since: g.since },
    ...(r.device ? { device: { naa: r.device.naa.toString('hex'), serial: r.device.serial } } : {}),
    ...(r.resyncFrom !== undefined ? { resyncFrom: formatGeneration(r.resyncFrom) } : {}),
    ...(r.newestWriteAt !== undefined ? { newestWriteAt: r.newestWriteAt } : {}),
    ...(r.portGroup !== undefined ? { portGroup: r.portGroup } : {}),
    ...(r.lastPointId !== undefined ? { lastPointId: r.lastPointId } : {}),
    ...(r.handingOverTo !== undefined ? { handingOverTo: formatGeneration(r.handingOverTo) } : {}),
  };
  return `${JSON.stringify(stored, null, 2)}\n`;
}

function genText(id: GenerationId): string {
  return id === 0n ? '' : formatGeneration(id);
}

export async function loadVolumeRecord(metaDir: string, files: DurableFiles = nodeFiles): Promise<StoredVolumeRecord | undefined> {
  const path = join(metaDir, IDENTITY_FILE);
  const raw = await readFileIfExists(path, files);
  return raw === undefined ? undefined : parseVolumeRecord(path, raw);
}

/** The identity part of the record, or undefined for a volume never opened. */
export async function loadIdentity(metaDir: string, files: DurableFiles = nodeFiles): Promise<VolumeIdentity | undefined> {
  const r = await loadVolumeRecord(metaDir, files);
  return r && { volumeId: r.volumeId, generation: r.generation, replicaSynced: r.replicaSynced };
}

export async function saveVolumeRecord(metaDir: string, record: VolumeRecord, files: DurableFiles = nodeFiles): Promise<void> {
  await files.mkdir(metaDir);
  await writeFileAtomic(join(metaDir, IDENTITY_FILE), serializeVolumeRecord(record), files);
}
