/**
 * Command numbering (RFC 7143 §4.2.2.1): non-immediate commands are delivered in CmdSN
 * order; ones ahead of ExpCmdSN wait for the gap to fill; ones outside
 * [ExpCmdSN, MaxCmdSN] are silently dropped. Immediate commands bypass the queue.
 */
import { serialAdd, serialLt, serialLte, serialMax } from '../iscsi/pdu/serial.js';

export type Admission = 'delivered' | 'queued' | 'dropped';

export class CmdSnWindow {
  private exp: number;
  /** Highest MaxCmdSN ever announced: initiators ignore decreases, so we must honour it. */
  private announcedMax: number;
  private readonly held = new Map<number, () => void>();

  constructor(
    expCmdSN: number,
    private readonly depth: number,
    /**
     * Commands delivered but not yet finished; they narrow the window (backpressure). Held
     * ones are not among them: they already take a CmdSN inside the window.
     */
    private readonly inFlight: () => number,
  ) {
    this.exp = expCmdSN >>> 0;
    this.announcedMax = serialAdd(this.exp, depth - 1);
  }

  get expCmdSN(): number {
    return this.exp;
  }

  /** Current MaxCmdSN; never moves backwards. */
  get maxCmdSN(): number {
    const room = Math.max(0, this.depth - this.inFlight());
    this.announcedMax = serialMax(this.announcedMax, serialAdd(this.exp, room - 1));
    return this.announcedMax;
  }

  /** CmdSNs waiting for the gap before them to fill. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Restarts numbering (connection reinstatement: the new login's CmdSN is next). */
  reset(expCmdSN: number): void {
    this.held.clear();
    this.exp = expCmdSN >>> 0;
    this.announcedMax = serialMax(this.announcedMax, serialAdd(this.exp, this.depth - 1));
  }

  /** Whether `cmdSN` is inside the window without admitting it. */
  inWindow(cmdSN: number): boolean {
    return serialLte(this.exp, cmdSN) && serialLte(cmdSN, this.announcedMax);
  }

  submit(cmdSN: number, immediate: boolean, deliver: () => void): Admission {
    if (immediate) {
      deliver();
      return 'delivered';
    }
    // Refresh announcedMax so a window we just opened is honoured.
    void this.maxCmdSN;
    cmdSN >>>= 0;
    if (!this.inWindow(cmdSN) || this.held.has(cmdSN)) return 'dropped';
    if (cmdSN !== this.exp) {
      this.held.set(cmdSN, deliver);
      return 'queued';
    }
    this.exp = serialAdd(this.exp, 1);
    deliver();
    this.drain();
    return 'delivered';
  }

  /**
   * Counts `cmdSN` as received with nothing to run (RFC 7143 §11.5.1: ABORT TASK for a command
   * not yet received): ExpCmdSN moves past it now, or once the gap before it fills. The
   * command itself, should it still arrive, is dropped (below ExpCmdSN, or its CmdSN held).
   */
  consume(cmdSN: number): void {
    this.submit(cmdSN, false, NOTHING);
  }

  private drain(): void {
    for (;;) {
      const next = this.held.get(this.exp);
      if (!next) return;
      this.held.delete(this.exp);
      this.exp = serialAdd(this.exp, 1);
      next();
    }
  }

  /** For diagnostics: is `cmdSN` already consumed (below ExpCmdSN)? */
  consumed(cmdSN: number): boolean {
    return serialLt(cmdSN, this.exp);
  }
}

const NOTHING = (): void => {};
