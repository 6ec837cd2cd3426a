/** A backup's first sync ends with it holding the primary's history and device identity. */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('first sync of a blank backup', () => {
  it('adopts the primary\'s generations and device identity; the images match', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    await writeChunks(a.device, [1, 5, 9], 0x5a);
    await pair.settle(() => a.device.status().journal.entries === 0);
    expect((await b.image()).equals(await a.image())).toBe(true);
    const ga = a.device.status().generations;
    const gb = b.device.status().generations;
    expect(gb.current).toBe(ga.current);
    expect(gb.bitmap).toBe(ga.current);
    expect(b.device.deviceIdentity?.naa.equals(a.device.deviceIdentity!.naa)).toBe(true);
    expect(b.device.deviceIdentity?.serial).toBe(a.device.deviceIdentity!.serial);
    expect(b.device.status()).toMatchObject({ role: 'backup', state: 'backup', resyncTarget: false, identity: { volumeId: a.device.status().identity.volumeId } });
    expect(b.log.events('generation-change').map((e) => e.reason)).toContain('adopted');
  });

  it('a backup refuses host writes, takes its primary\'s; a primary the reverse', async () => {
    pair = await syncedPair();
    expect(pair.a.device.acceptsWrites(false)).toBe(true);
    expect(pair.a.device.acceptsWrites(true)).toBe(false);
    expect(pair.b.device.acceptsWrites(false)).toBe(false);
    expect(pair.b.device.acceptsWrites(true)).toBe(true);
  });
});
