/**
 * A peer that answers but refuses (here a write past its end; out of space in the field) is
 * told apart from one the network lost: `tandem status` said "link DOWN" for both, sending the
 * operator to the network when the backup's disk was the fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { setLogLevel } from '../../src/util/log.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

let peer: LiveTarget;
let peerClosed = false;
beforeAll(async () => {
  setLogLevel('warn');
  peer = await startLiveTarget({ lunSpecs: ['disk0.img,size=8M'] });
});
afterAll(async () => {
  if (!peerClosed) await peer?.close();
});

describe("the replica link's health", () => {
  it('is not up but answering when the peer refuses a write; not answering once the peer is gone', async () => {
    const link = await IscsiReplicaLink.connect({ url: peer.url(0), operationTimeoutMs: 2000 });
    try {
      await link.ping();
      expect(link.health()).toMatchObject({ up: true, answering: true });
      await expect(link.write(Buffer.alloc(4096, 1), 16 * 1024 * 1024, false)).rejects.toThrow(/out of range/i);
      expect(link.health()).toMatchObject({ up: false, answering: true });
      await link.ping();
      expect(link.health()).toMatchObject({ up: true, answering: true });

      peerClosed = true;
      await peer.close();
      await expect(link.ping()).rejects.toThrow();
      expect(link.health()).toMatchObject({ up: false, answering: false });
    } finally {
      await link.close().catch(() => undefined);
    }
  }, 30_000);

  it('is answering when the peer, back after a restart, refuses the re-login (its CHAP secret set meanwhile)', async () => {
    const first = await startLiveTarget({ lunSpecs: ['disk0.img,size=8M'] });
    const link = await IscsiReplicaLink.connect({ url: first.url(0), operationTimeoutMs: 2000 });
    let again: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      await link.ping();
      await first.server.close();
      again = await startServer(
        buildServeSettings({ iqn: first.iqn, lun: [`${first.dir}/disk0.img,size=8M`], listen: [`127.0.0.1:${first.port}`], chap: 'repl:a-long-chap-secret', logLevel: 'warn' }),
      );
      await expect(link.ping()).rejects.toThrow(/authentication/);
      expect(link.health()).toMatchObject({ up: false, answering: true });
    } finally {
      await link.close().catch(() => undefined);
      await again?.close();
      await first.close();
    }
  }, 30_000);
});
