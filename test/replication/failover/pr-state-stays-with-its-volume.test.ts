/**
 * The persistent-reservation state a node shares goes only to a peer of its own volume. Found
 * by hand: a primary still shutting down reached a new backup put on its old peer's address
 * and pushed its state there, with its volume tag, so the new pair's primary refused its own
 * backup as another volume's. The same would follow a --peer pointing at another pair's node:
 * that pair's hosts' registrations and reservation overwritten.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODE_PARAMETERS, type SharedPrState } from '../../../src/replica-protocol/index.js';
import { Pair, syncedPair } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const STATE: Omit<SharedPrState, 'sequence'> = {
  generation: 3,
  aptpl: true,
  reservation: null,
  registrations: [{ key: 0x1234n, initiatorName: 'iqn.2026-11.example:host', isid: '000000000001', targetName: 'iqn.2026-11.io.tandem:disk0', tpgt: 1, relativePortId: 1 }],
  mode: DEFAULT_MODE_PARAMETERS,
};

describe('shared PR state', () => {
  it('is not sent to a peer that holds another volume, and says so once', async () => {
    pair = new Pair();
    const { a, b } = pair;
    // b is a volume of its own (another pair's node, reached by a wrong --peer): each opened
    // while the other was away, so neither refused the other at open.
    await b.open('primary');
    b.crash();
    await a.open('primary');
    b.up = true;
    expect(b.device.status().identity.volumeId).not.toBe(a.device.status().identity.volumeId);

    await a.device.endpoint.publishPrState(STATE);
    for (let i = 0; i < 3; i++) await a.device.tick();
    expect(b.device.endpoint.state().prSequence, 'the other volume\'s state untouched').toBe(0n);
    expect(a.log.events('pr-state-not-shipped')).toHaveLength(1);
  });

  it('still reaches the peer of the same volume', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    await a.device.endpoint.publishPrState(STATE);
    expect(b.device.endpoint.state().prSequence).toBe(a.device.endpoint.state().prSequence);
    expect(b.device.endpoint.state().prSequence).toBeGreaterThan(0n);
  });
});
