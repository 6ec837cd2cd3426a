/**
 * A backup that watched its primary go away and was promoted by force keeps its status
 * true once the old primary is back as its backup: the peer reads reachable again. Found by
 * hand: `tandem status` on the new primary said "unreachable since ..." for good, beside a
 * link that was up and a pair in continuous mirroring (only the backup's watch cleared it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('a promoted backup sees its peer again', () => {
  it('unreachable while the old primary is down, reachable once it is back and bound', async () => {
    pair = await syncedPair({ flavour: 'async' });
    const { a, b } = pair;
    a.crash();
    await pair.tick();
    expect(b.device.status().peer).toMatchObject({ reachable: false });

    await b.device.promote(true);
    // The old primary comes back as what it last was, and is demoted to follow the new one.
    await a.open('primary');
    await a.device.demote();
    await pair.tickUntil(() => b.device.status().state === 'continuous');
    expect(b.device.status()).toMatchObject({ role: 'primary', state: 'continuous', binding: { state: 'bound' } });
    expect(b.device.status().peer).toMatchObject({ reachable: true, role: 'backup' });
    expect(b.device.status().peer?.error).toBeUndefined();
  });
});
