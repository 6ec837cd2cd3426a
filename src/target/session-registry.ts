/**
 * Live sessions by TSIH and by initiator port, for TSIH allocation and session reinstatement;
 * and the ended ones whose tasks still run (draining).
 */
import type { Session } from './session.js';

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
      if (s.kind === 'Normal' && s.initiatorName === initiatorName && s.isid === isid && s.target?.iqn === targetName) return s;
    }
    return undefined;
  }

  /**
   * Settles once no ended session of `initiatorName` with `targetName` has a task running
   * (undefined when none has): a new session of that initiator must not have its writes
   * overtaken by one its lost session left running.
   */
  drainingFor(initiatorName: string, targetName: string): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const s of this.draining) if (s.initiatorName === initiatorName && s.target?.iqn === targetName) waits.push(s.drained);
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
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
