/**
 * Live sessions by TSIH and by initiator port, for TSIH allocation and session reinstatement;
 * and the ended ones whose tasks still run (draining).
 */
import { sameIscsiName } from './iscsi-name.js';
import { lunHoldsOf, type LunHolds, type Session } from './session.js';
import type { Nexus, ScsiResult } from '../scsi/types.js';

/** Which tasks SessionRegistry.abortTasks aborts, and what they answer. */
export interface TaskAbortScope {
  /** Only those on this LU (default: every LU). */
  lun?: number;
  /** Only those of the nexuses this selects (default: every nexus). */
  which?: (nexus: Nexus) => boolean;
  /** What a task on LU `lun` of a nexus other than the sender's answers (default: nothing). */
  answer?: (lun: number) => ScsiResult | undefined;
  /** The session that asked: its tasks end without an answer. */
  sender?: Session;
}

export class SessionRegistry {
  private readonly byTsih = new Map<number, Session>();
  /** Ended sessions with a task still running: a write handed to the device before the end lands after it. */
  private readonly draining = new Set<Session>();
  private nextTsih = 1;

  /** A TSIH not in use; never 0 (which means "new session" on the wire). */
  allocateTsih(): number {
    for (let i = 0; i < 0xffff; i++) {
      const t = this.nextTsih;
      this.nextTsih = this.nextTsih >= 0xffff ? 1 : this.nextTsih + 1;
      if (!this.byTsih.has(t)) return t;
    }
    throw new Error('no free TSIH');
  }

  add(session: Session): void {
    this.byTsih.set(session.tsih, session);
    session.onEnd((s) => {
      if (this.byTsih.get(s.tsih) === s) this.byTsih.delete(s.tsih);
      this.draining.add(s);
      void s.drained.then(() => this.draining.delete(s));
    });
  }

  get(tsih: number): Session | undefined {
    return this.byTsih.get(tsih);
  }

  /** The normal session of this initiator port (name + ISID) with this target, if any. */
  findByInitiatorPort(initiatorName: string, isid: string, targetName: string): Session | undefined {
    for (const s of this.byTsih.values()) {
      if (s.kind === 'Normal' && sameIscsiName(s.initiatorName, initiatorName) && s.isid === isid && s.target?.iqn === targetName) return s;
    }
    return undefined;
  }

  /**
   * Per LU, what a new session of `initiatorName` with `targetName` must let settle before
   * its commands there run: the tasks its ended sessions left running (undefined when none
   * did). A write the initiator gave up on must not land after one it sends next; other LUs
   * go on at once.
   */
  holdsFor(initiatorName: string, targetName: string): LunHolds | undefined {
    const waits: Array<readonly [number, Promise<void>]> = [];
    for (const s of this.draining) if (sameIscsiName(s.initiatorName, initiatorName) && s.target?.iqn === targetName) waits.push(...s.drainedLuns);
    return waits.length === 0 ? undefined : lunHoldsOf(waits);
  }

  /**
   * Aborts the tasks of target `iqn`'s sessions, as ABORT TASK SET aborts them, and resolves
   * once none of them still runs, the tasks ended sessions of the same nexuses left running
   * included (nothing of theirs lands after it). The sender's own aborted tasks never answer
   * (SAM-5 §5.6); other nexuses' answer what `answer` says for their LU (TAS). Resolves to
   * the other nexuses that had a task aborted without an answer (TAS clear): those a CLEAR
   * TASK SET tells by a unit attention.
   */
  abortTasks(iqn: string, scope: TaskAbortScope): Promise<Nexus[]> {
    const { lun, which, answer, sender } = scope;
    const picked = (s: Session) => s.target?.iqn === iqn && (!which || (s.nexus !== undefined && which(s.nexus)));
    const onLun = (t: { lun: number }) => lun === undefined || t.lun === lun;
    const waits: Array<Promise<void>> = [];
    const others: Nexus[] = [];
    for (const s of this.byTsih.values()) {
      if (!picked(s)) continue;
      if (s === sender) {
        waits.push(s.abortTasks(onLun));
        continue;
      }
      const luns = new Set([...s.tasks.values()].filter(onLun).map((t) => t.lun));
      let unanswered = false;
      for (const l of luns) {
        const reply = answer?.(l);
        waits.push(s.abortTasks((t) => t.lun === l, reply));
        unanswered ||= reply === undefined;
      }
      if (unanswered && s.nexus) others.push(s.nexus);
    }
    for (const s of this.draining) {
      const drained = !picked(s) ? undefined : lun === undefined ? s.drained : s.drainedLuns.get(lun);
      if (drained) waits.push(drained);
    }
    return Promise.all(waits).then(() => others);
  }

  forTarget(iqn: string): Session[] {
    return [...this.byTsih.values()].filter((s) => s.target?.iqn === iqn);
  }

  all(): Session[] {
    return [...this.byTsih.values()];
  }

  get size(): number {
    return this.byTsih.size;
  }
}
