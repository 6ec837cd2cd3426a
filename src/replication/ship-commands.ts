/**
 * A batch's groups on the wire: their bytes held in memory by the send queue for the
 * command, or lent (read back from the journal for spilled changes), packed into commands
 * (packCommands) and issued in one go.
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
  const issue = (bytesOf: GroupBytes): IssuedBatch => issueCommands(groups, bytesOf, ordered, link, maxScatteredBytes);
  if (allInMemory(groups)) return issue((g, releases) => heldData(g, queue, releases));
  return lendFromJournal(groups, queue).then((lent) => issue((g, releases) => lentData(lent.get(g)!, releases)));
}

/** A group's bytes for its command: one buffer, or contiguous changes' buffers as pieces (no copy); what gives them back goes in `releases`. */
type GroupBytes = (g: ShipGroup, releases: Array<() => void>) => WriteData;

/**
 * Packs the groups into commands and issues them. The changes' own buffers go as they are
 * (contiguous ones as pieces of one WRITE: a buffer joined for each was external memory that
 * drove V8 to a full collection every few dozen milliseconds under sequential writes), given
 * back only once the backup has them: after a failure (a timed-out command) the link may
 * still send them later.
 */
function issueCommands(groups: readonly ShipGroup[], bytesOf: GroupBytes, ordered: boolean, link: ReplicaLink, maxScatteredBytes: number): IssuedBatch {
  const commands = packCommands(groups, link.scatteredRanges ?? 0, maxScatteredBytes);
  const sends = commands.map((command, i) => {
    const first = ordered && i === 0;
    const g = command[0]!;
    if (g.discard) return link.discard(g.offset, g.length);
    const releases: Array<() => void> = [];
    const sent = command.length === 1 ? link.write(bytesOf(g, releases), g.offset, false, first) : link.writeScattered!(command.map((c) => ({ offset: c.offset, data: bytesOf(c, releases) })), first, true);
    return sent.then(() => releaseAll(releases));
  });
  return { answered: Promise.all(sends) };
}

function allInMemory(groups: readonly ShipGroup[]): boolean {
  for (const g of groups) if (!g.discard) for (const c of g.changes) if (!c.data) return false;
  return true;
}

/** The usual case, every change's bytes in memory: each change's buffer held for the command, with no record per change (every host write is shipped once). */
function heldData(g: ShipGroup, queue: Lender, releases: Array<() => void>): WriteData {
  const changes = g.changes;
  if (changes.length === 1) return held(changes[0]!, queue, releases);
  const pieces = new Array<Buffer>(changes.length);
  for (let i = 0; i < changes.length; i++) pieces[i] = held(changes[i]!, queue, releases);
  return pieces;
}

function held(c: QueuedChange, queue: Lender, releases: Array<() => void>): Buffer {
  releases.push(queue.holdHeld(c));
  return c.data!;
}

/** Some change's bytes are only in the journal (spilled): every change's bytes lent, read back where they must be. */
async function lendFromJournal(groups: readonly ShipGroup[], queue: Lender): Promise<Map<ShipGroup, ChangeData[]>> {
  const lent = new Map<ShipGroup, ChangeData[]>();
  await Promise.all(groups.map(async (g) => g.discard || lent.set(g, await Promise.all(g.changes.map(async (c) => (await queue.dataOf(c))!)))));
  return lent;
}

function lentData(parts: readonly ChangeData[], releases: Array<() => void>): WriteData {
  for (const p of parts) releases.push(p.done);
  return parts.length === 1 ? parts[0]!.data : parts.map((p) => p.data);
}

function releaseAll(releases: readonly (() => void)[]): void {
  for (const release of releases) release();
}
