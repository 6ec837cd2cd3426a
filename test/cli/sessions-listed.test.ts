/**
 * `tandem sessions` on a plain target opened with --control: every logged-in session with
 * who, from where, through which portal, how authenticated and what was negotiated; gone
 * once logged out; filtered by --target; and a server without a control socket named in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IscsiSession } from '../../src/initiator/index.js';
import { sessionsCommand } from '../../src/cli/admin/sessions.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { replicateCommand } from '../../src/cli/admin/actions.js';
import type { SessionSummary } from '../../src/target/session-summary.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

const chap = { user: 'host1', secret: 'a-long-chap-secret' };
const mutualChap = { user: 'disk', secret: 'another-long-secret' };
const HOST_IQN = 'iqn.2026-12.io.example:host1';

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (err += t) }, out: () => out, err: () => err };
}

async function listed(control: string, target?: string): Promise<SessionSummary[]> {
  const c = capture();
  expect(await sessionsCommand({ control, json: true, ...(target !== undefined ? { target } : {}) }, c.io)).toBe(0);
  return (JSON.parse(c.out()) as { sessions: SessionSummary[] }).sessions;
}

describe('tandem sessions', () => {
  let target: LiveTarget | undefined;
  let sockDir: string | undefined;
  afterEach(async () => {
    await target?.close();
    if (sockDir) rmSync(sockDir, { recursive: true, force: true });
    target = sockDir = undefined;
  });

  it('lists each logged-in session of a plain target, and forgets it at logout', async () => {
    sockDir = mkdtempSync(join(tmpdir(), 'tandem-sessions-'));
    const control = join(sockDir, 'control.sock');
    target = await startLiveTarget({ control, chap: `${chap.user}:${chap.secret}`, mutualChap: `${mutualChap.user}:${mutualChap.secret}` });
    expect(await listed(control)).toEqual([]);

    const isid = Buffer.from('80aabbccddee', 'hex');
    const host = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: target.iqn, initiatorName: HOST_IQN, initiatorAlias: 'db-server', isid, chap, mutualChap, headerDigest: true });
    try {
      const [s, ...others] = await listed(control);
      expect(others).toEqual([]);
      expect(s).toMatchObject({
        target: target.iqn,
        kind: 'Normal',
        initiator: HOST_IQN,
        initiatorAlias: 'db-server',
        isid: '80aabbccddee',
        portal: `127.0.0.1:${target.port}`,
        authentication: 'mutual-chap',
        headerDigest: true,
        dataDigest: false,
        tasks: 0,
      });
      expect(s!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s!.tsih).toBeGreaterThan(0);
      expect(Math.abs(Date.now() - s!.since)).toBeLessThan(60_000);

      const text = capture();
      expect(await sessionsCommand({ control, json: false }, text.io)).toBe(0);
      expect(text.out()).toContain(`${target.iqn}  <-  ${HOST_IQN} "db-server"  (isid 80aabbccddee, tsih ${s!.tsih})`);
      expect(text.out()).toMatch(/\n {2}since {4}\d{4}-\d\d-\d\dT[\d:.]+Z \([\d.]+ (ms|s) ago\)\n/);
      expect(text.out()).toContain('  auth     mutual-chap');
      expect(text.out()).toContain('  digests  header CRC32C, data none');
      expect(await listed(control, 'iqn.2026-11.io.tandem:other')).toEqual([]);
      expect(await listed(control, target.iqn.toUpperCase())).toHaveLength(1);
    } finally {
      await host.logout();
    }
    for (let i = 0; i < 100 && (await listed(control)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await listed(control)).toEqual([]);
  });

  it('on a backup, tells the replicator\'s session apart from a host\'s', async () => {
    sockDir = mkdtempSync(join(tmpdir(), 'tandem-sessions-'));
    const control = join(sockDir, 'control.sock');
    const replicatorIqn = 'iqn.2026-12.io.example:replicator';
    target = await startLiveTarget({ control, role: 'backup', replicatorIqn });
    const connect = (initiatorName: string) => IscsiSession.connect({ host: '127.0.0.1', port: target!.port, targetName: target!.iqn, initiatorName });
    const replicator = await connect(replicatorIqn);
    const host = await connect(HOST_IQN);
    try {
      const byName = new Map((await listed(control)).map((s) => [s.initiator, s]));
      expect(byName.get(replicatorIqn)?.replicator).toBe(true);
      expect(byName.get(HOST_IQN)).toBeDefined();
      expect(byName.get(HOST_IQN)?.replicator).toBeUndefined();
      const text = capture();
      expect(await sessionsCommand({ control, json: false }, text.io)).toBe(0);
      expect(text.out()).toContain(`<-  ${replicatorIqn} (the pair's replicator)  (isid `);
      expect(text.out()).not.toContain(`<-  ${HOST_IQN} (the pair's replicator)`);
    } finally {
      await Promise.all([replicator.logout(), host.logout()]);
    }
  });

  it('status on a plain target says nothing is replicated', async () => {
    sockDir = mkdtempSync(join(tmpdir(), 'tandem-sessions-'));
    const control = join(sockDir, 'control.sock');
    target = await startLiveTarget({ control });
    const c = capture();
    expect(await statusCommand({ control, json: false, watch: false }, c.io)).toBe(0);
    expect(c.out()).toMatch(/^role\s+none \(started without --role: nothing is replicated\)\n/);
    expect(c.out()).toContain('  not replicated');
    const json = capture();
    expect(await statusCommand({ control, json: true, watch: false }, json.io)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ role: null, luns: [{ target: target.iqn, lun: 0 }] });
    // A replication action there: one line, exit 1, nothing on stdout.
    const refused = capture();
    expect(await replicateCommand({ control }, refused.io)).toBe(1);
    expect(refused.out()).toBe('');
    expect(refused.err()).toBe('tandem: this server replicates nothing (it was started without --role)\n');
  });

  it('names a socket nobody listens on in one line, exit 1', async () => {
    sockDir = mkdtempSync(join(tmpdir(), 'tandem-sessions-'));
    target = await startLiveTarget();
    const c = capture();
    expect(await sessionsCommand({ control: join(sockDir, 'none.sock'), json: false }, c.io)).toBe(1);
    expect(c.out()).toBe('');
    expect(c.err()).toMatch(/^tandem: cannot reach the control socket .*none\.sock: no tandem serve is listening there \(use --control PATH; a plain target needs serve --control\)\n$/);
  });
});
