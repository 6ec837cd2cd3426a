/**
 * The commands waiting for the CmdSN window to open, oldest first. A replicating primary
 * can queue thousands behind a full window: taking from the head is O(1) (an index, the
 * array compacted now and then, not shifted each time).
 */
export interface PendingCommand {
  itt: number;
  /** When it times out waiting (ms since the epoch). */
  deadline: number;
}

export class PendingCommands<T extends PendingCommand> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(command: T): void {
    this.items.push(command);
  }

  /** The oldest, removed; undefined when none waits. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const command = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as T;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return command;
  }

  /** The one with this task tag, removed (an abort before it was sent). */
  remove(itt: number): T | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const command = this.items[i]!;
      if (command.itt === itt) {
        this.items.splice(i, 1);
        return command;
      }
    }
    return undefined;
  }

  /** Those whose deadline has passed at `now`, removed, once the oldest's has (the others wait at most as long as it did). */
  expire(now: number): T[] {
    if (this.head === this.items.length || this.items[this.head]!.deadline > now) return [];
    const expired: T[] = [];
    const keep: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const command = this.items[i]!;
      (command.deadline > now ? keep : expired).push(command);
    }
    this.items = keep;
    this.head = 0;
    return expired;
  }

  /** All of them, oldest first, the queue left empty. */
  takeAll(): T[] {
    const all = this.values();
    this.items = [];
    this.head = 0;
    return all;
  }

  /** All of them, oldest first, left queued. */
  values(): T[] {
    return this.items.slice(this.head);
  }
}
