/**
 * NOP-Out / NOP-In (RFC 7143 §11.18-19): answering initiator pings, and our own liveness
 * pings with a deadline (a peer that stops answering has its connection dropped).
 */
import { encodeNopIn, type NopOutPdu } from '../iscsi/pdu/nop.js';
import { RESERVED_TAG } from '../iscsi/pdu/opcodes.js';
import type { ResponseChannel } from './data-in.js';

export interface NopTiming {
  /** Milliseconds between our pings; 0 disables them. */
  intervalMs: number;
  /** Milliseconds to wait for the answer before dropping the connection. */
  timeoutMs: number;
}

export class NopPinger {
  private interval?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  private outstandingTtt?: number;

  constructor(
    private readonly timing: NopTiming,
    private readonly ping: () => number,
    private readonly onTimeout: () => void,
  ) {}

  start(): void {
    if (this.timing.intervalMs <= 0 || this.interval) return;
    this.interval = setInterval(() => this.tick(), this.timing.intervalMs);
    this.interval.unref();
  }

  private tick(): void {
    if (this.outstandingTtt !== undefined) return;
    this.outstandingTtt = this.ping();
    this.deadline = setTimeout(() => {
      this.stop();
      this.onTimeout();
    }, this.timing.timeoutMs);
    this.deadline.unref();
  }

  /** A NOP-Out answered one of our NOP-Ins. */
  answered(ttt: number): void {
    if (ttt !== this.outstandingTtt) return;
    this.outstandingTtt = undefined;
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.deadline);
    this.interval = undefined;
    this.deadline = undefined;
  }
}

/** Target-initiated NOP-In: ITT reserved, StatSN not advanced, a TTT the initiator must echo. */
export function sendPing(ch: ResponseChannel, ttt: number): void {
  ch.out.send(encodeNopIn({ lun: 0n, itt: RESERVED_TAG, ttt, statSN: ch.peekStatSN(), expCmdSN: ch.expCmdSN(), maxCmdSN: ch.maxCmdSN() }, 0));
}

/** Answer to an initiator ping: same ITT and LUN, the ping data echoed (bounded by what the peer accepts). */
export function answerPing(ch: ResponseChannel, pdu: NopOutPdu, data: Buffer): void {
  const echo = data.length > ch.maxSendDataSegmentLength ? data.subarray(0, ch.maxSendDataSegmentLength) : data;
  const header = encodeNopIn(
    { lun: pdu.lun, itt: pdu.itt, ttt: RESERVED_TAG, statSN: ch.takeStatSN(), expCmdSN: ch.expCmdSN(), maxCmdSN: ch.maxCmdSN() },
    echo.length,
  );
  ch.out.send(header, echo);
}
