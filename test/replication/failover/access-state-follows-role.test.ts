/**
 * The ALUA states follow the roles at the engine level: each role change reports an access
 * change when it begins (both groups transitioning) and when it ends, on the node that runs
 * it and on the peer a switchover promotes; a stale primary's group is unavailable; the
 * replication state page carries each node's group and state to its peer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AccessState, type AccessStateCode } from '../../../src/replica-protocol/index.js';
import type { ReplicatedDevice } from '../../../src/replication/replicated-device.js';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const { ACTIVE_OPTIMIZED: AO, STANDBY: S, TRANSITIONING: T, UNAVAILABLE: U } = AccessState;

/** This node's group state at each 'access' change it reports. */
function record(device: ReplicatedDevice): AccessStateCode[] {
  const seen: AccessStateCode[] = [];
  device.onChange((c) => {
    if (c === 'access') seen.push(device.portGroups().local.state);
  });
  return seen;
}

describe('ALUA states through role changes', () => {
  it('a new pair: the primary\'s group 1 active/optimized, the backup\'s group 2 standby, as each reports both', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    expect(a.device.portGroups()).toMatchObject({ local: { id: 1, state: AO, relativePorts: [1] }, peer: { id: 2, state: S } });
    expect(b.device.portGroups()).toMatchObject({ local: { id: 2, state: S, relativePorts: [2] }, peer: { id: 1, state: AO } });
    expect(b.device.endpoint.state().alua).toEqual({ portGroup: 2, relativePort: 2, state: S });
    expect(a.device.status().alua).toEqual({ local: { group: 1, state: 'active/optimized' }, peer: { group: 2, state: 'standby' } });
  });

  it('switchover: transitioning on both while it runs, then the groups swap; and back', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    const onA = record(a.device);
    const onB = record(b.device);
    await writeChunks(a.device, [1, 2], 0x31);
    await a.device.switchover();
    expect(onA).toEqual([T, S]);
    // b was promoted inside a's switchover: its own change began and ended there.
    expect(onB).toEqual([T, AO]);
    expect(a.device.portGroups()).toMatchObject({ local: { id: 1, state: S, changedImplicitly: true }, peer: { id: 2, state: AO } });
    expect(b.device.portGroups()).toMatchObject({ local: { id: 2, state: AO }, peer: { id: 1, state: S } });

    await pair.tickUntil(() => b.device.status().state === 'continuous');
    await b.device.switchover();
    expect(onB).toEqual([T, AO, T, S]);
    expect(a.device.portGroups().local).toMatchObject({ id: 1, state: AO });
  });

  it('unplanned: the backup, promoted by force with its primary gone, is active and reports the old group unavailable; the old primary comes back unavailable (stale)', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    a.crash();
    await pair.tick();
    expect(b.device.portGroups().peer?.state).toBe(U);
    const onB = record(b.device);
    await b.device.promote(true);
    expect(onB).toEqual([T, AO]);
    expect(b.device.portGroups()).toMatchObject({ local: { id: 2, state: AO }, peer: { id: 1, state: U } });

    await a.open('primary');
    expect(a.device.status().state).toBe('stale');
    expect(a.device.portGroups()).toMatchObject({ local: { id: 1, state: U }, peer: { id: 2, state: AO } });
    // Each node keeps the group it was created with, whatever its role now.
    expect(b.device.endpoint.state().alua?.portGroup).toBe(2);
    const onA = record(a.device);
    await a.device.demote();
    expect(onA).toEqual([T, S]);
  });
});
