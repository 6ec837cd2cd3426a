/**
 * A batch's groups on the wire: their bytes lent by the send queue (read back from the
 * journal for spilled changes), packed into commands (packCommands) and issued in one go.
 */
import type { ReplicaLink, WriteData } from './replica-link.js';
import type { ChangeData, SendQueue } from './send-queue.js';
import { packCommands, type ShipGroup } from './ship-groups.js';

/** What the backup's answers to a batch's commands settle: in an object, since a promise resolving to a bare one would wait for it. */
export interface IssuedBatch {
  answered: Promise<unknown>;
}

type Lender = Pick<SendQueue, 'dataOf' | 'lendHeld'>;

/** How a batch is issued: its first command ORDERED; behind an ORDERED flush (a host barrier lies before it). */
export interface IssueOrder {
  ordered: boolean;
  barrier?: boolean;
}

/**
 * Reads the groups' bytes, then issues their commands in one go, the first ORDERED if asked,
 * behind an ORDERED SYNCHRONIZE CACHE for a barrier (its answer joins the batch's). Returns
 * once they are issued (the next batch may follow), at once when every change's bytes are in
 * memory (the usual case: no promise per change, whose state would live as long as the batch
 * is in flight), else once the spilled ones are read back.
 */
export function issueGroups(groups: readonly ShipGroup[], order: IssueOrder, queue: Lender, link: ReplicaLink, maxScatteredBytes: number): IssuedBatch | Promise<IssuedBatch> {
  const flushed = order.barrier ? link.flush(true) : undefined;
  if (!flushed) return issueData(groups, order.ordered, queue, link, maxScatteredBytes);
  // Awaited with the batch's answers (the backup aborts the batch if the flush failed).
  flushed.catch(() => undefined);
  const join = (b: IssuedBatch): IssuedBatch => ({ answered: Promise.all([flushed, b.answered]) });
  const issued = issueData(groups, order.ordered, queue, link, maxScatteredBytes);
  return issued instanceof Promise ? issued.then(join) : join(issued);
}

function issueData(groups: readonly ShipGroup[], ordered: boolean, queue: Lender, link: ReplicaLink, maxScatteredBytes: number): IssuedBatch | Promise<IssuedBatch> {
  const lent = new Map<ShipGroup, ChangeData[]>();
  let inMemory = true;
  for (const g of groups) {
    if (g.discard) continue;
    const parts: ChangeData[] = [];
    for (const c of g.changes) {
      const part = queue.lendHeld(c);
      if (!part) {
        inMemory = false;
        break;
      }
      parts.push(part);
    }
    if (!inMemory) {
      // Lent already: given back, then all lent again the slow way.
      for (const p of parts) p.done();
      for (const l of lent.values()) for (const p of l) p.done();
      break;
    }
    lent.set(g, parts);
  }
  const issue = (l: Map<ShipGroup, ChangeData[]>): IssuedBatch => issueLent(groups, l, ordered, link, maxScatteredBytes);
  return inMemory ? issue(lent) : lendFromJournal(groups, queue).then(issue);
}

async function lendFromJournal(groups: readonly ShipGroup[], queue: Lender): Promise<Map<ShipGroup, ChangeData[]>> {
  const lent = new Map<ShipGroup, ChangeData[]>();
  await Promise.all(groups.map(async (g) => g.discard || lent.set(g, await Promise.all(g.changes.map(async (c) => (await queue.dataOf(c))!)))));
  return lent;
}

function issueLent(groups: readonly ShipGroup[], lent: Map<ShipGroup, ChangeData[]>, ordered: boolean, link: ReplicaLink, maxScatteredBytes: number): IssuedBatch {
  const commands = packCommands(groups, link.scatteredRanges ?? 0, maxScatteredBytes);
  const sends = commands.map((command, i) => {
    const first = ordered && i === 0;
    const g = command[0]!;
    if (command.length > 1) {
      const parts = command.map((c) => lent.get(c)!);
      const writes = command.map((c, j) => ({ offset: c.offset, data: dataOfGroup(parts[j]!) }));
      // Lent, not copied: the parts are given back only once the backup has them (as below).
      return link.writeScattered!(writes, first, true).then(() => parts.forEach(giveBack));
    }
    if (g.discard) return link.discard(g.offset, g.length);
    // The changes' own buffers, no copy (contiguous ones as pieces of one WRITE: a buffer
    // joined for each was external memory that drove V8 to a full collection every few
    // dozen milliseconds under sequential writes). Given back only once the backup has
    // them: after a failure (a timed-out command) the link may still send them later.
    const parts = lent.get(g)!;
    return link.write(dataOfGroup(parts), g.offset, false, first).then(() => giveBack(parts));
  });
  return { answered: Promise.all(sends) };
}

/** A group's bytes: the change's own buffer, or contiguous changes' buffers as pieces (no copy). */
function dataOfGroup(parts: readonly ChangeData[]): WriteData {
  return parts.length === 1 ? parts[0]!.data : parts.map(dataOf);
}

const dataOf = (p: ChangeData): Buffer => p.data;

function giveBack(parts: readonly ChangeData[]): void {
  for (const p of parts) p.done();
}
