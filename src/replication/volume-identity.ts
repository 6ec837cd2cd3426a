/**
 * A replicated volume's persistent identity, kept in `<metaDir>/replication.json`:
 * a UUID fixed at creation and a generation bumped on every start-over (a new full
 * resynchronisation of the replica). The replica carries the UUID's 48-bit tag
 * (volume-tag-pr.ts), so a primary can tell its own replica from another volume's.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { nodeFiles, type DurableFiles } from '../util/durable-file.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import type { ReplicaLink, VolumeTag } from './replica-link.js';
import { tagOfVolume } from './volume-tag-pr.js';

export const IDENTITY_FILE = 'replication.json';

export interface VolumeIdentity {
  volumeId: string;
  generation: number;
  /** The replica has received a complete image of this generation (a first sync finished). */
  replicaSynced: boolean;
}

export class IdentityFileError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'IdentityFileError';
  }
}

/** The primary pointed at a replica that belongs to another volume. */
export class ReplicaMismatchError extends Error {
  constructor(
    readonly ownTag: VolumeTag,
    readonly foundTags: readonly VolumeTag[],
  ) {
    super(
      `the replica belongs to another volume (its tag ${foundTags.map(hexTag).join(', ')}, ours ${hexTag(ownTag)}); ` +
        'refusing to replicate onto it. Point --replica at this volume\'s backup, or start over (--start-over) to overwrite it',
    );
    this.name = 'ReplicaMismatchError';
  }
}

export function hexTag(tag: VolumeTag): string {
  return tag.toString(16).padStart(12, '0');
}

function parse(path: string, raw: Buffer): VolumeIdentity {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new IdentityFileError(path, 'not valid JSON');
  }
  const o = v as Partial<VolumeIdentity>;
  if (typeof o.volumeId !== 'string' || !/^[0-9a-f-]{36}$/i.test(o.volumeId)) throw new IdentityFileError(path, 'volumeId missing or not a UUID');
  if (!Number.isSafeInteger(o.generation) || o.generation! < 0) throw new IdentityFileError(path, 'generation missing or invalid');
  return { volumeId: o.volumeId, generation: o.generation!, replicaSynced: o.replicaSynced === true };
}

export async function loadIdentity(metaDir: string, files: DurableFiles = nodeFiles): Promise<VolumeIdentity | undefined> {
  const path = join(metaDir, IDENTITY_FILE);
  const raw = await readFileIfExists(path, files);
  return raw === undefined ? undefined : parse(path, raw);
}

export async function saveIdentity(metaDir: string, identity: VolumeIdentity, files: DurableFiles = nodeFiles): Promise<void> {
  await files.mkdir(metaDir);
  await writeFileAtomic(join(metaDir, IDENTITY_FILE), `${JSON.stringify(identity, null, 2)}\n`, files);
}

/** Loads the volume's identity, creating (and persisting) a fresh one on first use. */
export async function loadOrCreateIdentity(metaDir: string, files: DurableFiles = nodeFiles): Promise<VolumeIdentity> {
  const existing = await loadIdentity(metaDir, files);
  if (existing) return existing;
  const fresh: VolumeIdentity = { volumeId: randomUUID(), generation: 1, replicaSynced: false };
  await saveIdentity(metaDir, fresh, files);
  return fresh;
}

export type BindOutcome =
  /** The replica is ours and holds a synced image of our generation. */
  | 'bound'
  /** The replica was blank or taken over: it needs a full resynchronisation. */
  | 'needs-full-sync';

/**
 * The identity check: refuses a replica tagged with another volume unless `startOver`;
 * claims a blank (or, with startOver, foreign) replica and bumps the generation.
 */
export async function bindReplica(
  metaDir: string,
  identity: VolumeIdentity,
  link: ReplicaLink,
  startOver: boolean,
  files: DurableFiles = nodeFiles,
): Promise<{ identity: VolumeIdentity; outcome: BindOutcome }> {
  const own = tagOfVolume(identity.volumeId);
  const tags = await link.readTags();
  const foreign = tags.filter((t) => t !== own);
  if (foreign.length > 0 && !startOver) throw new ReplicaMismatchError(own, foreign);
  if (foreign.length === 0 && tags.includes(own) && identity.replicaSynced) return { identity, outcome: 'bound' };
  await link.claim(own, foreign);
  // A replica we had synced but which lost our tag, or any takeover, starts a new generation.
  const next: VolumeIdentity = { ...identity, generation: identity.generation + (foreign.length > 0 || identity.replicaSynced ? 1 : 0), replicaSynced: false };
  await saveIdentity(metaDir, next, files);
  return { identity: next, outcome: 'needs-full-sync' };
}

export async function markReplicaSynced(metaDir: string, identity: VolumeIdentity, files: DurableFiles = nodeFiles): Promise<VolumeIdentity> {
  const next = { ...identity, replicaSynced: true };
  await saveIdentity(metaDir, next, files);
  return next;
}
