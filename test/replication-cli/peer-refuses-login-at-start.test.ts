/**
 * A peer that refuses the primary's login at start (a wrong CHAP secret, the backup's changed)
 * stops the server only for a new volume, where the setting was most likely mistyped just now.
 * A primary with history serves its hosts anyway and keeps trying, the refusal in its status,
 * as DRBD's primary does: found by hand, a primary restarted after its backup's secret changed
 * refused to start at all, taking the LUN from its hosts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiSession } from '../../src/initiator/index.js';
import { controlRequest } from '../../src/replication/control/client.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { setLogLevel } from '../../src/util/log.js';

const IQN = 'iqn.2026-11.io.tandem:disk0';
const SECRET = 'a-long-chap-secret';
const servers: RunningServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.close();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());

async function pair(): Promise<{ dir: string; backup: RunningServer; primary: (secret: string) => Promise<RunningServer> }> {
  setLogLevel('silent');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-refused-'));
  dirs.push(dir);
  const backup = await startServer(buildServeSettings({ role: 'backup', iqn: IQN, lun: [`${join(dir, 'b.img')},size=8M`], listen: ['127.0.0.1:0'], chap: `repl:${SECRET}`, control: join(dir, 'b.sock') }));
  servers.push(backup);
  const primary = async (secret: string) => {
    const s = await startServer(
      buildServeSettings({
        role: 'primary',
        iqn: IQN,
        lun: [`${join(dir, 'a.img')},size=8M`],
        listen: ['127.0.0.1:0'],
        peer: `iscsi://repl:${secret}@127.0.0.1:${portOf(backup)}/${IQN}/0`,
        control: join(dir, 'a.sock'),
      }),
    );
    servers.push(s);
    return s;
  };
  return { dir, backup, primary };
}

describe('a peer refusing the primary at start', () => {
  it('stops a new volume\'s server with one line', async () => {
    const p = await pair();
    await expect(p.primary('not-the-secret-at-all')).rejects.toThrow(/^LUN .*a\.img: cannot use the peer iscsi:\/\/repl:\*\*\*@.*: login failed: authentication failure$/);
  });

  it('lets a primary with history serve its hosts, saying why its peer is not bound', async () => {
    const p = await pair();
    const first = await p.primary(SECRET);
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const again = await p.primary('not-the-secret-at-all');
    const status = await controlRequest(join(p.dir, 'a.sock'), { cmd: 'status' });
    expect(status.ok).toBe(true);
    const replication = (status as { result: ServerStatus }).result.luns[0]!.replication!;
    expect(replication.binding?.state).toBe('pending');
    expect(replication.binding?.error).toMatch(/authentication failure/);
    // The peer answered: status says the replica refuses, not that the link is down.
    expect(replication.link).toMatchObject({ up: false, answering: true });

    const host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(again), targetName: IQN, initiatorName: 'iqn.2026-11.example:host' });
    try {
      await host.write16(0, 0n, Buffer.alloc(4096, 7));
      expect((await host.read16(0, 0n, 8)).equals(Buffer.alloc(4096, 7))).toBe(true);
    } finally {
      await host.logout();
    }
  }, 30_000);
});
