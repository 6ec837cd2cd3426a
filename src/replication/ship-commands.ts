/**
 * A batch's groups on the wire: their bytes lent by the send queue (read back from the
 * journal for spilled changes), packed into commands (packCommands) and issued in one go.
 */
import type { ReplicaLink, WriteData } from './replica-link.js';
import type { ChangeData, QueuedChange, SendQueue } from './send-queue.js';
import { packCommands, type ShipGroup } from './ship-groups.js';

/** What the backup's answers to a batch's commands settle: in an object, since a promise resolving to a bare one would wait for it. */
export interface IssuedBatch {
  answered: Promise<unknown>;
}

type Lender = Pick<SendQueue, 'dataOf' | 'holdHeld'>;

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
  if (allInMemory(groups)) return issueHeld(groups, ordered, queue, link, maxScatteredBytes);
  return lendFromJournal(groups, queue).then((lent) => issueLent(groups, lent, ordered, link, maxScatteredBytes));
}

function allInMemory(groups: readonly ShipGroup[]): boolean {
  for (const g of groups) if (!g.discard) for (const c of g.changes) if (!c.data) return false;
  return true;
}

/**
 * The usual case, every change's bytes in memory: the changes' own buffers go as they are
 * (contiguous ones as pieces of one WRITE: a buffer joined for each was external memory that
 * drove V8 to a full collection every few dozen milliseconds under sequential writes), each
 * held for its command, with no record per change (every host write is shipped once). Given
 * back only once the backup has them: after a failure (a timed-out command) the link may
 * still send them later.
 */
function issueHeld(groups: readonly ShipGroup[], ordered: boolean, queue: Lender, link: ReplicaLink, maxScatteredBytes: number): IssuedBatch {
  const commands = packCommands(groups, link.scatteredRanges ?? 0, maxScatteredBytes);
  const sends = commands.map((command, i) => {
    const first = ordered && i === 0;
    const g = command[0]!;
    if (g.discard) return link.discard(g.offset, g.length);
    const holds: Array<() => void> = [];
    if (command.length === 1) return link.write(heldData(g, queue, holds), g.offset, false, first).then(() => releaseAll(holds));
    const writes = command.map((c) => ({ offset: c.offset, data: heldData(c, queue, holds) }));
    return link.writeScattered!(writes, first, true).then(() => releaseAll(holds));
  });
  return { answered: Promise.all(sends) };
}

/** A group's bytes, each change's buffer held (its release added to `holds`): the buffer itself, or contiguous changes' buffers as pieces. */
function heldData(g: ShipGroup, queue: Lender, holds: Array<() => void>): WriteData {
  const changes = g.changes;
  if (changes.length === 1) return held(changes[0]!, queue, holds);
  const pieces = new Array<Buffer>(changes.length);
  for (let i = 0; i < changes.length; i++) pieces[i] = held(changes[i]!, queue, holds);
  return pieces;
}

function held(c: QueuedChange, queue: Lender, holds: Array<() => void>): Buffer {
  holds.push(queue.holdHeld(c));
  return c.data!;
}

function releaseAll(holds: readonly (() => void)[]): void {
  for (const release of holds) release();
}

/** Some change's bytes are only in the journal (spilled): every change's bytes lent, read back where they must be. */
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
    if (g.discard) return link.discard(g.offset, g.length);
    const parts = command.map((c) => lent.get(c)!);
    const giveBack = (): void => parts.forEach((p) => p.forEach((d) => d.done()));
    if (command.length === 1) return link.write(dataOfGroup(parts[0]!), g.offset, false, first).then(giveBack);
    // Lent, not copied: the parts are given back only once the backup has them (as above).
    return link.writeScattered!(command.map((c, j) => ({ offset: c.offset, data: dataOfGroup(parts[j]!) })), first, true).then(giveBack);
  });
  return { answered: Promise.all(sends) };
}

/** A group's lent bytes: one buffer, or contiguous changes' buffers as pieces (no copy). */
function dataOfGroup(parts: readonly ChangeData[]): WriteData {
  return parts.length === 1 ? parts[0]!.data : parts.map((p) => p.data);
}
