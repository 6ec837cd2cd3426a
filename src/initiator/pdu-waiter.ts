/**
 * Request/response helper for the lock-step phases (login, discovery text): the next
 * PDU from the target, or the connection's end, or a deadline.
 */
import { IscsiTimeoutError, type IscsiConnectionError } from './errors.js';
import type { FramedPdu, PduTransport } from './transport.js';

export class PduWaiter {
  private readonly queue: FramedPdu[] = [];
  private waiter: { resolve: (p: FramedPdu) => void; reject: (e: Error) => void } | undefined;
  private closedWith: Error | undefined;

  constructor(transport: PduTransport) {
    transport.setHandler({
      onPdu: (pdu) => {
        // The reader may reuse nothing, but a header slice of a socket chunk must not outlive it unnoticed.
        const copy = { header: Buffer.from(pdu.header), data: Buffer.from(pdu.data) };
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(copy);
        } else this.queue.push(copy);
      },
      onClose: (error: IscsiConnectionError | undefined) => {
        this.closedWith = error ?? new Error('connection closed');
        this.waiter?.reject(this.closedWith);
        this.waiter = undefined;
      },
    });
  }

  next(deadline: number, operation: 'login' | 'text' | 'logout'): Promise<FramedPdu> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new IscsiTimeoutError(`no ${operation} response from target in time`, operation));
      }, Math.max(0, deadline - Date.now()));
      this.waiter = {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}
