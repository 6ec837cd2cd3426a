/**
 * Role commands on two `tandem serve` nodes of two LUNs each (per-LUN peers), through the
 * admin CLI's functions: a `promote` that one LUN refuses (its peer is still a reachable
 * primary) promotes neither; a `switchover` on a node where one LUN already moved (promoted
 * on the other node by hand, `--lun 0`) moves the other and reports the first unchanged;
 * the pair then mirrors both LUNs the other way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { demoteCommand, promoteCommand, switchoverCommand } from '../../src/cli/admin/roles.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import type { ReplicationStatus } from '../../src/replication/status.js';
import { setLogLevel } from '../../src/util/log.js';
import { freePort } from '../../tools/harness/ports.js';

const SIZE = 4 * 1024 * 1024;
const IQN = { a: 'iqn.2026-12.io.tandem:roles-a', b: 'iqn.2026-12.io.tandem:roles-b' };

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('role commands on nodes of two LUNs', () => {
  let dir: string;
  const servers: Partial<Record<'a' | 'b', RunningServer>> = {};
  const control = (n: 'a' | 'b') => servers[n]!.controlPath!;

  async function lunStatus(n: 'a' | 'b'): Promise<ReplicationStatus[]> {
    const io = capture();
    await statusCommand({ control: control(n), json: true, watch: false }, io);
    return (JSON.parse(io.stdout) as ServerStatus).luns.map((l) => l.replication!);
  }

  async function waitFor(n: 'a' | 'b', what: string, ok: (s: ReplicationStatus[]) => boolean): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (ok(await lunStatus(n))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what} on ${n}: ${JSON.stringify((await lunStatus(n)).map((s) => [s.role, s.state]))}`);
  }

  const continuousPrimaries = (s: ReplicationStatus[]) => s.every((l) => l.role === 'primary' && l.state === 'continuous' && l.binding.state === 'bound');

  beforeAll(async () => {
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-roles-'));
    const ports = { a: await freePort(), b: await freePort() };
    const start = async (n: 'a' | 'b', role: 'primary' | 'backup') => {
      const other = n === 'a' ? 'b' : 'a';
      const config = join(dir, `${n}.json`);
      const luns = [0, 1].map((lun) => ({ path: join(dir, `${n}${lun}.img`), size: SIZE, peer: `iscsi://127.0.0.1:${ports[other]}/${IQN[other]}/${lun}` }));
      writeFileSync(
        config,
        JSON.stringify({ role, listen: [`127.0.0.1:${ports[n]}`], control: join(dir, `${n}.sock`), replication: { thresholds: { healthyForMs: '500ms' } }, targets: [{ iqn: IQN[n], luns }] }),
      );
      servers[n] = await startServer(buildServeSettings({ config }));
    };
    await start('b', 'backup');
    await start('a', 'primary');
    await waitFor('a', 'both LUNs continuous', continuousPrimaries);
  }, 60_000);

  afterAll(async () => {
    await servers.a?.close();
    await servers.b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a promote one LUN refuses promotes neither', async () => {
    // a's LUN 0 steps down; its LUN 1 stays the primary b's LUN 1 follows.
    expect(await demoteCommand({ control: control('a'), select: { lun: 0 } }, capture())).toBe(0);
    const io = capture();
    expect(await promoteCommand({ control: control('b'), force: false }, io)).not.toBe(0);
    expect(io.stderr).toContain(`${IQN.b} LUN 1: the peer is a reachable primary`);
    expect((await lunStatus('b')).map((s) => s.role)).toEqual(['backup', 'backup']);
  }, 60_000);

  it('a switchover after one LUN moved by hand moves the other; the pair mirrors both from b', async () => {
    expect(await promoteCommand({ control: control('b'), force: false, select: { lun: 0 } }, capture())).toBe(0);
    const io = capture();
    expect(await switchoverCommand({ control: control('a'), json: true }, io), io.stderr).toBe(0);
    const result = JSON.parse(io.stdout) as { luns: Array<{ lun: number; role: string; unchanged?: boolean; heldMs?: number }> };
    expect(result.luns.map((l) => [l.lun, l.role, l.unchanged ?? false])).toEqual([
      [0, 'backup', true],
      [1, 'backup', false],
    ]);
    const text = capture();
    expect(await demoteCommand({ control: control('a') }, text)).not.toBe(0);
    expect(text.stderr).toContain('this node is not the primary');
    expect((await lunStatus('a')).map((s) => s.role)).toEqual(['backup', 'backup']);
    await waitFor('b', 'b the continuous primary of both LUNs', continuousPrimaries);
  }, 60_000);
});
