/**
 * DRBD-style generation identifiers: which data history a node's image belongs to, and
 * how two nodes' histories relate when they meet. A new generation starts at each
 * promotion and at each change a primary accepts while its peer is not following it; the
 * delta table is kept relative to `bitmap`, the newest generation the peer is known to
 * hold (apart from the chunks the table marks). Pure functions, tested table-driven.
 */
import { randomBytes } from 'node:crypto';

/** A generation: 64 random bits, never 0 (0 means "none": a node that never held data). */
export type GenerationId = bigint;

export const NO_GENERATION: GenerationId = 0n;
/** How many earlier generations a node remembers (enough for a few role changes while apart). */
export const HISTORY_LENGTH = 4;

export interface Generations {
  /** The history this node's image is on; NO_GENERATION for a blank node. */
  current: GenerationId;
  /** The generation the delta table is relative to (== current while the peer follows). */
  bitmap: GenerationId;
  /** Earlier currents, newest first. */
  history: readonly GenerationId[];
  /** When `current` began (ms since the epoch): decides discard-younger-primary. */
  since: number;
}

export function freshGenerationId(): GenerationId {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE(0);
    if (id !== NO_GENERATION) return id;
  }
}

export const BLANK_GENERATIONS: Generations = Object.freeze({ current: NO_GENERATION, bitmap: NO_GENERATION, history: Object.freeze([]), since: 0 });

/** A new volume created as primary: a history of its own, followed by nobody yet. */
export function firstGenerations(now: number, id: GenerationId = freshGenerationId()): Generations {
  return { current: id, bitmap: id, history: [], since: now };
}

/**
 * This node's image leaves the history the peer holds (a promotion, or a primary's first
 * change while the peer is not following): a new current, the table stays relative to
 * the generation the peer holds.
 */
export function diverge(g: Generations, now: number, id: GenerationId = freshGenerationId()): Generations {
  return { current: id, bitmap: g.bitmap, history: pushHistory(g.history, g.current), since: now };
}

/** Whether this node has changes the peer may lack beyond its table's base. */
export function diverged(g: Generations): boolean {
  return g.current !== g.bitmap;
}

/**
 * Demote / resolve --discard-local: give up this node's own history since the bitmap
 * generation; its table still marks what it changed, so the resync overwrites exactly that.
 */
export function revertToBitmap(g: Generations): Generations {
  if (!diverged(g)) return g;
  // The abandoned generation leaves no trace: a node is never "ahead" by a history it gave up.
  return { current: g.bitmap, bitmap: g.bitmap, history: g.history.filter((h) => h !== g.bitmap), since: g.since };
}

/** The resync target now holds the source's image: it takes the source's history. */
export function adopt(source: Generations): Generations {
  return { current: source.current, bitmap: source.current, history: [...source.history], since: source.since };
}

/** The peer now holds our current history: our table is relative to it. */
export function peerFollows(g: Generations): Generations {
  return diverged(g) ? { ...g, bitmap: g.current, history: pushHistory(g.history, g.bitmap) } : g;
}

function pushHistory(history: readonly GenerationId[], id: GenerationId): GenerationId[] {
  if (id === NO_GENERATION) return [...history];
  return [id, ...history.filter((h) => h !== id)].slice(0, HISTORY_LENGTH);
}

/** How two nodes' histories relate, from `self`'s point of view. */
export type Relation =
  /** Same history: the primary's table (and the other's) say what may differ. */
  | { kind: 'same' }
  /** The peer never held data: everything is copied. */
  | { kind: 'peer-blank' }
  /** This node never held data. */
  | { kind: 'self-blank' }
  /** Self has moved on from the peer's history: self resynchronises the peer. `covered`: self's table covers the difference. */
  | { kind: 'ahead'; common: GenerationId; covered: boolean }
  /** The peer has moved on from self's history: the peer resynchronises self. */
  | { kind: 'behind'; common: GenerationId; covered: boolean }
  /** Both moved on from a common generation: changes on both sides. */
  | { kind: 'split-brain'; common: GenerationId }
  /** Nothing in common: another volume's history. */
  | { kind: 'unrelated' };

export function relate(self: Generations, peer: Generations): Relation {
  if (peer.current === NO_GENERATION && self.current === NO_GENERATION) return { kind: 'same' };
  if (peer.current === NO_GENERATION) return { kind: 'peer-blank' };
  if (self.current === NO_GENERATION) return { kind: 'self-blank' };
  if (self.current === peer.current) return { kind: 'same' };
  if (peer.current === self.bitmap) return { kind: 'ahead', common: peer.current, covered: true };
  if (self.current === peer.bitmap) return { kind: 'behind', common: self.current, covered: true };
  if (diverged(self) && diverged(peer) && self.bitmap === peer.bitmap) return { kind: 'split-brain', common: self.bitmap };
  if (self.history.includes(peer.current)) return { kind: 'ahead', common: peer.current, covered: false };
  if (peer.history.includes(self.current)) return { kind: 'behind', common: self.current, covered: false };
  const mine = new Set([self.bitmap, ...self.history]);
  const common = [peer.bitmap, ...peer.history].find((g) => g !== NO_GENERATION && mine.has(g));
  return common !== undefined ? { kind: 'split-brain', common } : { kind: 'unrelated' };
}

export function formatGeneration(id: GenerationId): string {
  return id.toString(16).padStart(16, '0');
}

export function parseGeneration(text: string): GenerationId {
  if (!/^[0-9a-f]{16}$/i.test(text)) throw new RangeError(`not a generation id: ${text}`);
  return BigInt(`0x${text}`);
}
