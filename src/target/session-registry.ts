/**
 * Live sessions by TSIH and by initiator port, for TSIH allocation and session reinstatement;
 * and the ended ones whose tasks still run (draining).
 */
import { sameIscsiName } from './iscsi-name.js';
import { lunHoldsOf, type LunHolds, type Session } from './session.js';
import type { Nexus, ScsiResult } from '../scsi/types.js';

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
   * The SCSI layer's abort of other nexuses' tasks on `lun` of target `iqn` (PREEMPT AND
   * ABORT): each selected session's tasks there, as ABORT TASK SET aborts them (with `answer`
   * when given); resolves once none of them still runs, the tasks ended sessions of those
   * nexuses left running there included.
   */
  abortTasks(iqn: string, lun: number, which: (nexus: Nexus) => boolean, answer?: ScsiResult): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const s of this.byTsih.values()) {
      if (s.target?.iqn === iqn && s.nexus && which(s.nexus)) waits.push(s.abortTasks((t) => t.lun === lun, answer));
    }
    for (const s of this.draining) {
      const drained = s.target?.iqn === iqn && s.nexus && which(s.nexus) ? s.drainedLuns.get(lun) : undefined;
      if (drained) waits.push(drained);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /**
   * Resolves once the tasks ended sessions of target `iqn` left running have left the SCSI
   * layer: those on `lun`, or on any LU when undefined (CLEAR TASK SET, resets).
   */
  drainedOf(iqn: string, lun?: number): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const s of this.draining) {
      if (s.target?.iqn !== iqn) continue;
      const drained = lun === undefined ? s.drained : s.drainedLuns.get(lun);
      if (drained) waits.push(drained);
    }
    return Promise.all(waits).then(() => undefined);
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
