/**
 * A primary's link to a LUN of its peer logs in as the same initiator port every time
 * (reconnects and restarts alike), so the peer reinstates a session it still holds rather
 * than running the old one's late writes beside the new one's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IscsiSession, derivedIsid, type ReconnectingSession } from '../../src/initiator/index.js';
import { IscsiReplicaLink, replicaLinkIsid } from '../../src/replication/iscsi-replica-link.js';
import { localVolumeName } from '../../src/cli/replicated-lun.js';
import type { LunConfig } from '../../src/cli/serve-config.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

describe('derivedIsid', () => {
  it('is the same for the same seed, six bytes of the random type (T = 10b)', () => {
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const isid = derivedIsid(seed);
        expect(isid).toHaveLength(6);
        expect(isid[0]! >> 6).toBe(0b10);
        expect(derivedIsid(seed).equals(isid)).toBe(true);
      }),
    );
  });
});

describe('replicaLinkIsid', () => {
  const R = 'iqn.2026-11.io.tandem:replicator';
  const T = 'iqn.2026-11.io.tandem:backup';
  const base = replicaLinkIsid(R, 'host-a:/srv/disk0.img.tandem', T, 0);
  it('names one LUN of one target for one volume of one replicator, whatever the case of the names', () => {
    expect(replicaLinkIsid(R.toUpperCase(), 'host-a:/srv/disk0.img.tandem', T.toUpperCase(), 0).equals(base)).toBe(true);
    expect(replicaLinkIsid(R, 'host-a:/srv/disk0.img.tandem', T, 1).equals(base)).toBe(false);
    expect(replicaLinkIsid(R, 'host-a:/srv/disk0.img.tandem', 'iqn.2026-11.io.tandem:other', 0).equals(base)).toBe(false);
    expect(replicaLinkIsid('iqn.2026-11.io.tandem:other', 'host-a:/srv/disk0.img.tandem', T, 0).equals(base)).toBe(false);
    // Another volume pointed at the same peer (another image, another host) is another port.
    expect(replicaLinkIsid(R, 'host-a:/srv/other.img.tandem', T, 0).equals(base)).toBe(false);
    expect(replicaLinkIsid(R, 'host-b:/srv/disk0.img.tandem', T, 0).equals(base)).toBe(false);
  });

  it('tells serve\'s LUNs apart by their metadata directory, and names the same LUN the same way each time', () => {
    const lun = (path: string): LunConfig => ({ path, readOnly: false, blockSize: 512 });
    expect(localVolumeName(lun('/srv/disk0.img'))).toBe(localVolumeName(lun('/srv/disk0.img')));
    expect(localVolumeName(lun('/srv/disk0.img'))).not.toBe(localVolumeName(lun('/srv/disk1.img')));
    expect(localVolumeName({ ...lun('/srv/disk0.img'), metaDir: '/var/lib/tandem/a' })).not.toBe(localVolumeName({ ...lun('/srv/disk0.img'), metaDir: '/var/lib/tandem/b' }));
  });
});

describe('the replica link on a live peer', () => {
  const initiatorName = 'iqn.2026-11.io.tandem:isid-test';
  let backup: LiveTarget;
  beforeAll(async () => {
    backup = await startLiveTarget({ role: 'backup', replicatorIqn: initiatorName });
  });
  afterAll(async () => backup?.close());

  it('logs in with the ISID of its replicator, volume, target and LUN, again after a reconnect', async () => {
    const localVolume = 'this-host:/srv/disk0.img.tandem';
    const link = await IscsiReplicaLink.connect({ url: backup.url(0), initiatorName, localVolume, operationTimeoutMs: 3000 });
    const session = (link as unknown as { session: ReconnectingSession }).session;
    const expected = replicaLinkIsid(initiatorName, localVolume, backup.iqn, 0);
    try {
      expect(session.current!.isid.equals(expected)).toBe(true);
      const first = session.current!;
      first.destroy('test: connection cut');
      await link.read(Buffer.alloc(512), 0);
      expect(session.current).not.toBe(first);
      expect(session.current!.isid.equals(expected)).toBe(true);
    } finally {
      await link.close();
    }
  });

  it('a restarted primary (a new link of the same volume) takes over the session its old link left on the peer', async () => {
    const localVolume = 'this-host:/srv/restarted.img.tandem';
    // The old process's session, as the peer still holds it (it has not seen the connection fail): same port, no reconnects.
    const old = await IscsiSession.connect({ host: '127.0.0.1', port: backup.port, targetName: backup.iqn, initiatorName, isid: replicaLinkIsid(initiatorName, localVolume, backup.iqn, 0) });
    const restarted = await IscsiReplicaLink.connect({ url: backup.url(0), initiatorName, localVolume, operationTimeoutMs: 3000 });
    try {
      // The peer reinstated the session: the old connection is gone, not left beside the new one.
      expect(await old.closed).toBeDefined();
      await restarted.write(Buffer.alloc(4096, 9), 0, false);
      const b = Buffer.alloc(4096);
      await restarted.read(b, 0);
      expect(b.every((x) => x === 9)).toBe(true);
    } finally {
      old.destroy();
      await restarted.close();
    }
  });
});
