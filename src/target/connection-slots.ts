/**
 * How many connections the server holds at once (`--max-connections`): each may hold its
 * Data-Out and Data-In budgets, unsolicited data up to FirstBurstLength per command and
 * its socket's unsent output, so their number must be bounded too. One over the limit is
 * still read far enough to answer its login "out of resources" (RFC 7143 §11.13.5, 0302h:
 * the initiator retries later) — unless its initiator is one the server lets in anyway (a
 * backup's replicator: hosts filling the backup's slots must not cut the pair). Beyond a few
 * such logins at once, further connections are closed unread.
 */
export const REFUSING_AT_ONCE = 16;

/** A connection's place: within the limit, or over it (refused at login unless let in). */
export interface SlotTicket {
  readonly overLimit: boolean;
  /** Lets an over-limit connection in after all (its login named an initiator the server exempts). */
  admit(): void;
  /** The connection closed. */
  leave(): void;
}

export class ConnectionSlots {
  private open = 0;
  private refusing = 0;
  /** Connections refused or closed unread since the server started. */
  refused = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max connections must be a positive integer, not ${max}`);
  }

  /** A new TCP connection: a ticket, or undefined when it is to be closed unread. */
  take(): SlotTicket | undefined {
    if (this.open < this.max) {
      this.open++;
      return this.ticket(false);
    }
    if (this.refusing >= REFUSING_AT_ONCE) {
      this.refused++;
      return undefined;
    }
    this.refusing++;
    return this.ticket(true);
  }

  private ticket(overLimit: boolean): SlotTicket {
    let refusing = overLimit;
    let left = false;
    return {
      get overLimit() {
        return refusing;
      },
      admit: () => {
        if (!refusing || left) return;
        refusing = false;
        this.refusing--;
        this.open++;
      },
      leave: () => {
        if (left) return;
        left = true;
        if (refusing) {
          this.refusing--;
          this.refused++;
        } else this.open--;
      },
    };
  }

  get count(): number {
    return this.open;
  }
}
