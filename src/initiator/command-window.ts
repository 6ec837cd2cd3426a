/**
 * The CmdSN window (RFC 7143 §3.2.2.1): a non-immediate command may go out only while
 * CmdSN ≤ MaxCmdSN. The target moves ExpCmdSN/MaxCmdSN forward in its responses.
 */
import { serialAdd, serialLt, serialLte } from '../iscsi/pdu/serial.js';

export class CommandWindow {
  constructor(
    private cmdSN: number,
    private expCmdSN: number,
    private maxCmdSN: number,
  ) {}

  /** CmdSN the next command will carry (immediate PDUs carry it without taking it). */
  get next(): number {
    return this.cmdSN;
  }

  get expected(): number {
    return this.expCmdSN;
  }

  get max(): number {
    return this.maxCmdSN;
  }

  isOpen(): boolean {
    return serialLte(this.cmdSN, this.maxCmdSN);
  }

  /** Assigns the next CmdSN to a non-immediate command. */
  take(): number {
    const sn = this.cmdSN;
    this.cmdSN = serialAdd(sn, 1);
    return sn;
  }

  /**
   * Take in ExpCmdSN/MaxCmdSN from a target PDU. Values that would move the window back,
   * or a MaxCmdSN below ExpCmdSN - 1 (the spec's "ignore" case), change nothing.
   */
  update(expCmdSN: number, maxCmdSN: number): void {
    if (serialLt(maxCmdSN, serialAdd(expCmdSN, -1))) return;
    if (serialLt(this.expCmdSN, expCmdSN)) this.expCmdSN = expCmdSN >>> 0;
    if (serialLt(this.maxCmdSN, maxCmdSN)) this.maxCmdSN = maxCmdSN >>> 0;
  }
}
