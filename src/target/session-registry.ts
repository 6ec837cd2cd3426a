/** Live sessions by TSIH and by initiator port, for TSIH allocation and session reinstatement. */
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly byTsih = new Map<number, Session>();
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
