/**
 * A new backup's persistent-reservation state changes before its first sync (its primary
 * claims it with a volume tag), and its shipper, finding a peer of another volume, held it
 * back with a warning at every first pairing. Held back it stays (the peer is not of this
 * node's volume yet), but a node that holds no history has nothing to warn of; a node that
 * does still warns, once.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODE_PARAMETERS, type ReplicationStateReport, type SharedPrState } from '../../src/replica-protocol/index.js';
import { PrStateShipper } from '../../src/replication/pr-state-shipper.js';
import type { ReplicaLink } from '../../src/replication/replica-link.js';
import { capturedLog } from './captured-log.js';

const STATE: Omit<SharedPrState, 'sequence'> = { generation: 1, aptpl: true, reservation: null, registrations: [], mode: DEFAULT_MODE_PARAMETERS };

function primaryOfAnotherVolume(): { link: ReplicaLink; sent: () => number } {
  let sent = 0;
  const peer = { volumeId: '11111111-1111-1111-1111-111111111111', prSequence: 0n } as ReplicationStateReport;
  const link = {
    health: () => ({ up: true, rttMs: undefined, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 0 }),
    peerState: async () => peer,
    control: async () => {
      sent++;
      return true;
    },
  } as unknown as ReplicaLink;
  return { link, sent: () => sent };
}

describe('PR state held back from a peer of another volume', () => {
  for (const blank of [true, false]) {
    it(blank ? 'is not warned of by a node holding no history' : 'is warned of once by a node with a volume of its own', async () => {
      const { link, sent } = primaryOfAnotherVolume();
      const log = capturedLog();
      const shipper = new PrStateShipper(link, () => '22222222-2222-2222-2222-222222222222', () => 1_000, log.logger, () => blank);
      await shipper.publish(STATE);
      for (let i = 0; i < 3; i++) await shipper.tick();
      expect(sent()).toBe(0);
      expect(log.events('pr-state-not-shipped')).toHaveLength(blank ? 0 : 1);
    });
  }
});
