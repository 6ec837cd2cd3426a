import type { Nexus } from './types.js';
import type { AscPair } from './sense.js';
import type { UnitAttentions } from './logical-unit.js';
import { MAX_TRACKED_NEXUSES } from './limits.js';

/** A bounded queue per nexus: enough for every distinct condition we ever raise. */
const MAX_PENDING_PER_NEXUS = 16;

/**
 * Reset-class conditions (29h) are reported before anything else (SAM-5 §5.14: a reset
 * supersedes what happened before it); among them the more drastic first. Others keep
 * the order they were raised in.
 */
function rank(asc: AscPair): number {
  if (asc[0] !== 0x29) return 100;
  switch (asc[1]) {
    case 0x01: return 0; // power on
    case 0x02: return 1; // bus reset (target cold/warm reset)
    case 0x03: return 2; // bus device reset (LUN reset)
    case 0x07: return 3; // I_T nexus loss
    default: return 4;
  }
}

interface Pending {
  asc: AscPair;
  seq: number;
}

/** Per-nexus unit attention queues of one LU. */
export class NexusUnitAttentions implements UnitAttentions {
  private readonly queues = new Map<string, Pending[]>();
  /** The nexus each queue belongs to, for conditions only some nexuses get. */
  private readonly nexuses = new Map<string, Nexus>();
  private seq = 0;

  /** Whether `nexus` is known to this LU. */
  knows(nexus: Nexus): boolean {
    return this.queues.has(nexus.id);
  }

  /** Start tracking `nexus`, optionally with a first condition (a new nexus sees 29h/00h). */
  register(nexus: Nexus, initial?: AscPair): void {
    if (this.queues.has(nexus.id)) return;
    if (this.queues.size >= MAX_TRACKED_NEXUSES) {
      // Forget the longest-known nexus; it can only lose a pending UA, never data.
      const oldest = this.queues.keys().next().value;
      if (oldest !== undefined) {
        this.queues.delete(oldest);
        this.nexuses.delete(oldest);
      }
    }
    this.queues.set(nexus.id, []);
    this.nexuses.set(nexus.id, nexus);
    if (initial) this.establishFor(nexus, initial);
  }

  forget(nexus: Nexus): void {
    this.queues.delete(nexus.id);
    this.nexuses.delete(nexus.id);
  }

  /** Queue `asc` for every known nexus `which` accepts. */
  establishWhere(asc: AscPair, which: (nexus: Nexus) => boolean): void {
    for (const [id, nexus] of this.nexuses) if (which(nexus)) this.push(id, asc);
  }

  establish(asc: AscPair, except?: Nexus): void {
    for (const id of this.queues.keys()) {
      if (except && id === except.id) continue;
      this.push(id, asc);
    }
  }

  establishFor(nexus: Nexus, asc: AscPair): void {
    if (!this.queues.has(nexus.id)) this.register(nexus);
    this.push(nexus.id, asc);
  }

  take(nexus: Nexus): AscPair | undefined {
    const q = this.queues.get(nexus.id);
    if (!q || q.length === 0) return undefined;
    const i = this.bestIndex(q);
    const [p] = q.splice(i, 1);
    return p!.asc;
  }

  peek(nexus: Nexus): AscPair | undefined {
    const q = this.queues.get(nexus.id);
    if (!q || q.length === 0) return undefined;
    return q[this.bestIndex(q)]!.asc;
  }

  /** Drop everything pending for `nexus` (kept registered). */
  clear(nexus: Nexus): void {
    const q = this.queues.get(nexus.id);
    if (q) q.length = 0;
  }

  private push(id: string, asc: AscPair): void {
    const q = this.queues.get(id);
    if (!q) return;
    if (q.some((p) => p.asc[0] === asc[0] && p.asc[1] === asc[1])) return;
    if (q.length >= MAX_PENDING_PER_NEXUS) {
      // Drop the least important, newest entry to make room.
      let worst = 0;
      for (let i = 1; i < q.length; i++) {
        if (rank(q[i]!.asc) > rank(q[worst]!.asc) || (rank(q[i]!.asc) === rank(q[worst]!.asc) && q[i]!.seq > q[worst]!.seq)) worst = i;
      }
      if (rank(q[worst]!.asc) < rank(asc)) return;
      q.splice(worst, 1);
    }
    q.push({ asc, seq: this.seq++ });
  }

  private bestIndex(q: Pending[]): number {
    let best = 0;
    for (let i = 1; i < q.length; i++) {
      const r = rank(q[i]!.asc);
      const rb = rank(q[best]!.asc);
      if (r < rb || (r === rb && q[i]!.seq < q[best]!.seq)) best = i;
    }
    return best;
  }
}
