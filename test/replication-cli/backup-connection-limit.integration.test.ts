/**
 * --max-connections on a backup: hosts holding every slot (standby paths) do not keep the
 * primary's replication out; its replicator is let in over the limit, another host is not.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modeSetCommand, replicateCommand } from '../../src/cli/admin/actions.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiSession } from '../../src/initiator/index.js';
import { setLogLevel } from '../../src/util/log.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:primary';
const quietIo = { out: () => undefined, err: () => undefined };
const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a backup whose connection slots hosts hold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-limit-'));
  const running: RunningServer[] = [];
  const sessions: IscsiSession[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.logout().catch(() => undefined);
    for (const r of running.reverse()) await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('still takes the primary\'s replication, and refuses one more host', async () => {
    setLogLevel('warn');
    const backup = await startServer(
      buildServeSettings({ role: 'backup', iqn: BACKUP_IQN, lun: [`${join(dir, 'backup.img')},size=8M`], listen: ['127.0.0.1:0'], control: join(dir, 'backup.sock'), maxConnections: '1' }),
    );
    running.push(backup);
    const hostOnBackup = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(backup), targetName: BACKUP_IQN, initiatorName: 'iqn.2026-11.example:host' });
    sessions.push(hostOnBackup);

    const primary = await startServer(
      buildServeSettings({
        role: 'primary',
        iqn: PRIMARY_IQN,
        lun: [`${join(dir, 'primary.img')},size=8M`],
        replica: `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`,
        listen: ['127.0.0.1:0'],
        control: join(dir, 'primary.sock'),
        threshold: ['healthyForMs=60m', 'lowTrafficBytesPerSec=0'],
      }),
    );
    running.push(primary);
    const host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(primary), targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.example:host' });
    sessions.push(host);
    await host.waitReady(0);
    for (let i = 0; i < 16; i++) await host.write16(0, i * 131 + 3, randomBytes(4096));
    await host.synchronizeCache(0);
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'delta' }, quietIo)).toBe(0);
    expect(await replicateCommand({ control: primary.controlPath! }, quietIo)).toBe(0);
    expect(hashOf(join(dir, 'backup.img'))).toBe(hashOf(join(dir, 'primary.img')));

    await expect(
      IscsiSession.connect({ host: '127.0.0.1', port: portOf(backup), targetName: BACKUP_IQN, initiatorName: 'iqn.2026-11.example:other-host' }),
    ).rejects.toThrow(/out of resources/);
  });
});
