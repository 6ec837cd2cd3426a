/** A PDU that cannot be accepted; `reason` is the RFC 7143 Reject reason to answer with. */
export class PduError extends Error {
  readonly reason: number;
  constructor(reason: number, message: string) {
    super(message);
    this.name = 'PduError';
    this.reason = reason;
  }
}
