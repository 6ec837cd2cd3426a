/**
 * A backup whose disk is replaced by a blank one (its image and metadata gone) and which is
 * back before its primary notices a failed command: the primary must see a new image, not
 * the one it bound, and copy everything to it. Found by hand: the initiator's reconnect hid
 * the restart, the next pass wrote only what was marked and the blank backup adopted the
 * primary's history, so it claimed to be in step while holding none of the older data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks, type Node } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const OLD_CHUNKS = [1, 5, 9];
const NEW_CHUNK = 13;

async function inStep(p: Pair): Promise<boolean> {
  const { a, b } = p;
  return b.device.status().generations.current === a.device.status().generations.current && (await b.image()).equals(await a.image());
}

/** A blank disk in b's place, opened as a backup; the PR state the nodes share soon gives it the primary's volume tag back. */
async function replaceBackupDisk(b: Node): Promise<void> {
  const tags = b.tags;
  b.replaceDisk();
  await b.open('backup');
  b.tags = tags;
}

function fullResyncsSince(node: Node, before: number): number {
  return node.log.events('resync-start').slice(before).filter((e) => e.full === true).length;
}

describe('a backup replaced by a blank disk behind a working link', () => {
  it('continuous: the reconnect makes the primary bind again, and the blank backup gets everything', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    await writeChunks(a.device, OLD_CHUNKS, 0x5a);
    await pair.settle(() => a.device.status().journal.entries === 0);
    expect(await inStep(pair)).toBe(true);
    const resyncs = a.log.events('resync-start').length;

    await replaceBackupDisk(b);
    a.link.reconnected();
    await writeChunks(a.device, [NEW_CHUNK], 0x6b);

    await pair.tickUntil(() => a.device.status().state === 'continuous' && a.device.status().dirtyChunks === 0 && a.device.status().journal.entries === 0 && fullResyncsSince(a, resyncs) > 0);
    const synced = await inStep(pair);
    expect(fullResyncsSince(a, resyncs), 'a full resync of the new disk').toBe(1);
    expect(synced, 'the new backup holds the whole image and the primary\'s history').toBe(true);
  });

  it('delta: a pass finds the backup\'s generation changed, adopts nothing and copies everything after binding again', async () => {
    pair = new Pair();
    const { a, b } = pair;
    await b.open('backup');
    await a.open('primary', { mode: 'delta' });
    await writeChunks(a.device, OLD_CHUNKS, 0x5a);
    await a.device.replicateNow();
    expect(await inStep(pair)).toBe(true);
    const resyncs = a.log.events('resync-start').length;

    // No reconnect seen: a link that hid it entirely (or a peer swapped between two looks).
    await replaceBackupDisk(b);
    await writeChunks(a.device, [NEW_CHUNK], 0x6b);
    await expect(a.device.replicateNow(), 'the pass onto an image it did not bind').rejects.toThrow(/the peer changed: its generation is 0000000000000000/);
    expect(b.device.status().generations.current, 'nothing adopted').toBe('');

    await pair.tickUntil(() => fullResyncsSince(a, resyncs) > 0 && a.device.status().dirtyChunks === 0);
    await a.device.replicateNow();
    expect(fullResyncsSince(a, resyncs), 'a full resync of the new disk').toBe(1);
    expect(await inStep(pair), 'the new backup holds the whole image and the primary\'s history').toBe(true);
  });
});
