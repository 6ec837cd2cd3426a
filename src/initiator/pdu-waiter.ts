/**
 * Request/response helper for the lock-step phases (login, discovery text): the next
 * PDU from the target, or the connection's end, or a deadline.
 */
import { IscsiTimeoutError, type IscsiConnectionError } from './errors.js';
import type { FramedPdu, PduTransport } from './transport.js';

interface Waiting {
  take: (p: FramedPdu) => void;
  reject: (e: Error) => void;
}

export class PduWaiter {
  private readonly queue: FramedPdu[] = [];
  private waiter: Waiting | undefined;
  private closedWith: Error | undefined;

  constructor(transport: PduTransport) {
    transport.setHandler({
      onPdu: (pdu) => {
        // The reader may reuse nothing, but a header slice of a socket chunk must not outlive it unnoticed.
        const copy = { header: Buffer.from(pdu.header), data: Buffer.from(pdu.data) };
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.take(copy);
        } else this.queue.push(copy);
      },
      onClose: (error: IscsiConnectionError | undefined) => {
        this.closedWith = error ?? new Error('connection closed');
        this.waiter?.reject(this.closedWith);
        this.waiter = undefined;
      },
    });
  }

  /**
   * The next PDU, through `take`: it runs as the PDU is framed, before the reader frames the
   * next one of the same read, so it can change how those are framed and where they go (the
   * end of login). What it returns resolves the promise; what it throws rejects it.
   */
  next<T>(deadline: number, operation: 'login' | 'text' | 'logout', take: (pdu: FramedPdu) => T): Promise<T> {
    const queued = this.queue.shift();
    if (queued) return new Promise((resolve) => resolve(take(queued)));
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new IscsiTimeoutError(`no ${operation} response from target in time`, operation));
      }, Math.max(0, deadline - Date.now()));
      this.waiter = {
        take: (p) => {
          clearTimeout(timer);
          try {
            resolve(take(p));
          } catch (e) {
            reject(e as Error);
          }
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}
