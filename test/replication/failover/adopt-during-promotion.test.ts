/**
 * An ADOPT from the primary (its resync's last command) still running on the backup when an
 * admin force-promotes the backup: the promotion waits for it, then starts a generation of its
 * own. Run across the promotion, the ADOPT put the old primary's generation back and cleared
 * the map of the host writes the promoted node had taken since, so the two nodes later looked
 * like one history and those writes never moved.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicationSequenceError } from '../../../src/replica-protocol/index.js';
import { syncedPair, type Pair } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('an ADOPT and a forced promotion of the backup at once', () => {
  it('the promotion waits for the ADOPT, then diverges; the promoted node keeps its host writes marked', async () => {
    pair = await syncedPair();
    const b = pair.b;
    const endpoint = b.device.endpoint;
    const before = endpoint.state();
    expect(before.role).toBe('backup');

    // The backup's change-map write is slow (a busy disk): the ADOPT is inside it when the promotion is asked for.
    const table = (endpoint as unknown as { parts: { table: { clearAll(): Promise<void> } } }).parts.table;
    const clearAll = table.clearAll.bind(table);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let clearing!: () => void;
    const inClear = new Promise<void>((r) => (clearing = r));
    table.clearAll = async () => {
      clearing();
      await gate;
      return clearAll();
    };
    const adopting = endpoint.adopt({ volumeId: before.volumeId, startOver: before.startOver, current: before.current, since: before.since, history: before.history, device: before.device! });
    await inClear;
    const promoting = b.device.promote(true);
    // Not promoted while the ADOPT runs.
    await new Promise((r) => setTimeout(r, 20));
    expect(endpoint.state().role).toBe('backup');
    release();
    await adopting;
    await promoting;

    const promoted = endpoint.state();
    expect(promoted.role).toBe('primary');
    expect(promoted.current).not.toBe(before.current);
    await b.device.write(Buffer.alloc(4096, 7), 0);
    expect(endpoint.state().changedBytes).toBeGreaterThan(0);
    expect(endpoint.state().current).toBe(promoted.current);
  });

  it('an ADOPT reaching the node once it is promoted is refused and changes nothing', async () => {
    pair = await syncedPair();
    const b = pair.b;
    const endpoint = b.device.endpoint;
    const before = endpoint.state();
    await b.device.promote(true);
    await b.device.write(Buffer.alloc(4096, 7), 0);
    const promoted = endpoint.state();
    await expect(endpoint.adopt({ volumeId: before.volumeId, startOver: before.startOver, current: before.current, since: before.since, history: before.history, device: before.device! })).rejects.toBeInstanceOf(ReplicationSequenceError);
    expect(endpoint.state().current).toBe(promoted.current);
    expect(endpoint.state().changedBytes).toBe(promoted.changedBytes);
  });
});
