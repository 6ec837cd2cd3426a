/**
 * How many connections the server holds at once (`--max-connections`): each may hold its
 * Data-Out and Data-In budgets, unsolicited data up to FirstBurstLength per command in its
 * CmdSN window and its socket's unsent output, so their number must be bounded too. One
 * over the limit is still read far enough to answer its first Login Request with "out of
 * resources" (RFC 7143 §11.13.5, 0302h: the initiator retries later); beyond a few of
 * those at once, further ones are closed unread.
 */
export const REFUSING_AT_ONCE = 16;

export type Admission = 'open' | 'refuse' | 'drop';

export class ConnectionSlots {
  private open = 0;
  private refusing = 0;
  /** Connections refused or closed unread since the server started. */
  refused = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max connections must be a positive integer, not ${max}`);
  }

  /** A new TCP connection: takes a slot, or one of the few refusing ones, or neither. Pair each 'open'/'refuse' with leave(). */
  admit(): Admission {
    if (this.open < this.max) {
      this.open++;
      return 'open';
    }
    this.refused++;
    if (this.refusing < REFUSING_AT_ONCE) {
      this.refusing++;
      return 'refuse';
    }
    return 'drop';
  }

  leave(admission: Admission): void {
    if (admission === 'open') this.open--;
    else if (admission === 'refuse') this.refusing--;
  }

  get count(): number {
    return this.open;
  }
}
