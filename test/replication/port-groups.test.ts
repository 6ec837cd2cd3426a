/**
 * The ALUA states a node reports for its own port group and its peer's, from its role: the
 * primary's active/optimized and the backup's standby, both transitioning during a role
 * change, a stale primary unavailable, an unreachable peer unavailable; the peer's group
 * and relative port from its C1h page when it sent one.
 */
import { describe, expect, it } from 'vitest';
import { AccessState, type ReplicationStateReport } from '../../src/replica-protocol/index.js';
import { portGroupsOf, type PortGroupInputs } from '../../src/replication/port-groups.js';

const base: PortGroupInputs = { role: 'primary', transitioning: false, stale: false, portGroup: 1, peer: undefined, peerReachable: true, changedImplicitly: false };
const { ACTIVE_OPTIMIZED: AO, STANDBY: S, UNAVAILABLE: U, TRANSITIONING: T } = AccessState;

describe('port groups from the role', () => {
  it.each([
    ['primary', { role: 'primary' }, AO, S],
    ['backup', { role: 'backup', portGroup: 2 }, S, AO],
    ['primary during a role change', { transitioning: true }, T, T],
    ['backup during a promotion', { role: 'backup', transitioning: true }, T, T],
    ['stale primary', { stale: true }, U, AO],
    ['primary whose peer does not answer', { peerReachable: false }, AO, U],
    ['backup whose primary does not answer', { role: 'backup', peerReachable: false }, S, U],
    ['primary in split brain: the peer is a primary too', { peerPrimary: true }, AO, AO],
    ['primary in split brain with the peer unreachable', { peerPrimary: true, peerReachable: false }, AO, U],
  ] as Array<[string, Partial<PortGroupInputs>, number, number]>)('%s', (_name, over, own, peer) => {
    const r = portGroupsOf({ ...base, ...over });
    expect(r.local.state).toBe(own);
    expect(r.peer?.state).toBe(peer);
  });

  it('reports a peer that said it is a stale primary unavailable, as it reports itself', () => {
    const peer = { stale: true, alua: { portGroup: 2, relativePort: 2, state: U } } as unknown as ReplicationStateReport;
    expect(portGroupsOf({ ...base, peer }).peer?.state).toBe(U);
  });

  it('numbers the relative port like the group; the peer is the other default group until it reports its own', () => {
    expect(portGroupsOf({ ...base, portGroup: 2 })).toMatchObject({ local: { id: 2, relativePorts: [2] }, peer: { id: 1, relativePorts: [1] } });
    const peer = { alua: { portGroup: 7, relativePort: 9, state: S } } as unknown as ReplicationStateReport;
    expect(portGroupsOf({ ...base, peer })).toMatchObject({ local: { id: 1 }, peer: { id: 7, relativePorts: [9] } });
  });

  it('leaves out a peer that claims this node\'s own group (a misconfiguration), rather than report one group twice', () => {
    const peer = { alua: { portGroup: 1, relativePort: 1, state: S } } as unknown as ReplicationStateReport;
    expect(portGroupsOf({ ...base, peer }).peer).toBeUndefined();
  });

  it('marks both groups implicitly changed once a role change ran', () => {
    const r = portGroupsOf({ ...base, changedImplicitly: true });
    expect([r.local.changedImplicitly, r.peer?.changedImplicitly]).toEqual([true, true]);
  });
});
