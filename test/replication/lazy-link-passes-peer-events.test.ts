/**
 * A lazily connected replica link hands the engine's peer-event listener to the link it
 * connects later, and a listener set after that reaches the connected link: a reconnect of
 * a backup that was away at start is judged at once like any other.
 */
import { expect, it } from 'vitest';
import { LazyReplicaLink } from '../../src/replication/lazy-replica-link.js';
import type { ReplicaLink } from '../../src/replication/replica-link.js';
import { FakeLink } from './fake-link.js';
import { VOLUME } from './device-harness.js';

it('the listener reaches the link connected later, and a new one replaces it there', async () => {
  const clock = { now: 0 };
  const backup: ReplicaLink = new FakeLink(VOLUME);
  const link = new LazyReplicaLink({ connect: async () => backup, size: VOLUME, blockSize: 512, firstError: 'connect ECONNREFUSED', retryMs: 1000, clock: () => clock.now });
  const heard: string[] = [];
  link.onPeerEvent = () => heard.push('first');
  expect(backup.onPeerEvent).toBeUndefined();

  clock.now += 1000;
  await link.ping();
  expect(link.connected).toBe(true);
  backup.onPeerEvent?.();
  link.onPeerEvent = () => heard.push('second');
  backup.onPeerEvent?.();
  expect(heard).toEqual(['first', 'second']);
  expect(link.onPeerEvent).toBe(backup.onPeerEvent);
});
