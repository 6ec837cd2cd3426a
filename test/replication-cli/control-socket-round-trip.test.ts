import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { controlRequest } from '../../src/replication/control/client.js';
import { createControlHandler, type ServerStatus } from '../../src/replication/control/handler.js';
import { ControlSocketInUseError, startControlServer, type ControlServer } from '../../src/replication/control/server.js';
import { FakeLink } from '../replication/fake-link.js';

const SIZE = 1024 * 1024;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A control server over one ReplicatedDevice (memory store, fake link); pino events captured. */
async function serveOne(): Promise<{ control: ControlServer; device: ReplicatedDevice; link: FakeLink; events: Array<Record<string, unknown>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-ctl-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const link = new FakeLink(SIZE);
  const device = await ReplicatedDevice.open({ local: new MemoryBlockStore({ size: SIZE }), link, metaDir: join(dir, 'meta'), tickMs: 0 });
  cleanup.push(() => device.close());
  const events: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>) });
  const handler = createControlHandler({ role: 'primary', replicatorIqn: 'iqn.2026-11.io.tandem:replicator', logger, luns: [{ target: 'iqn.2026-11.io.tandem:disk0', lun: 0, path: '/img/a.img', replica: 'iscsi://b/iqn.x:y/0', device }] });
  const control = await startControlServer(join(dir, 'tandem.sock'), handler);
  cleanup.push(() => control.close());
  return { control, device, link, events };
}

describe('control socket', () => {
  it('is a socket only its owner can use (mode 0600)', async () => {
    const { control } = await serveOne();
    const st = statSync(control.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('answers status with the replication figures of each LUN', async () => {
    const { control } = await serveOne();
    const r = await controlRequest(control.path, { cmd: 'status' });
    expect(r.ok).toBe(true);
    const status = (r as { result: ServerStatus }).result;
    expect(status.role).toBe('primary');
    expect(status.luns).toHaveLength(1);
    const lun = status.luns[0]!;
    expect(lun.replica).toBe('iscsi://b/iqn.x:y/0');
    // A blank replica: everything dirty, first sync pending.
    expect(lun.replication!.state).toBe('delta');
    expect(lun.replication!.dirtyBytes).toBe(SIZE);
    expect(lun.replication!.identity.replicaSynced).toBe(false);
  });

  it('mode set, replicate, pause/resume and config set act on the device, one pino event each', async () => {
    const { control, device, link, events } = await serveOne();
    await device.write(Buffer.alloc(4096, 7), 8192);

    const mode = await controlRequest(control.path, { cmd: 'mode', mode: 'delta', flavour: 'sync' });
    expect(mode.ok).toBe(true);
    expect(device.status()).toMatchObject({ mode: 'delta', flavour: 'sync' });

    const progress: Array<[number, number]> = [];
    const pass = await controlRequest(control.path, { cmd: 'replicate' }, { onProgress: (done, total) => progress.push([done, total]) });
    expect(pass.ok).toBe(true);
    // The last report always arrives, and says the pass is complete.
    expect(progress.length).toBeGreaterThan(0);
    const [done, total] = progress[progress.length - 1]!;
    expect(done).toBe(total);
    expect(total).toBeGreaterThan(0);
    expect((pass as { result: { bytesSent: number } }).result.bytesSent).toBeGreaterThan(0);
    expect(device.status().dirtyChunks).toBe(0);
    const onBackup = Buffer.alloc(4096);
    await link.backup.read(onBackup, 8192);
    expect(onBackup.every((b) => b === 7)).toBe(true);

    expect((await controlRequest(control.path, { cmd: 'pause' })).ok).toBe(true);
    expect(device.status().paused).toBe(true);
    expect((await controlRequest(control.path, { cmd: 'resume' })).ok).toBe(true);
    expect(device.status().paused).toBe(false);

    const set = await controlRequest(control.path, { cmd: 'config-set', key: 'maxRttMs', value: '300ms' });
    expect(set).toEqual({ ok: true, result: { key: 'maxRttMs', value: 300 } });
    expect(device.status().thresholds.maxRttMs).toBe(300);

    const actions = events.filter((e) => e.event === 'admin').map((e) => e.action);
    expect(actions).toEqual(['mode-set', 'replicate', 'pause', 'resume', 'config-set']);
  });

  it('names an unknown key and a bad value precisely', async () => {
    const { control } = await serveOne();
    const unknown = await controlRequest(control.path, { cmd: 'config-set', key: 'maxSpeed', value: '1' });
    expect(unknown).toMatchObject({ ok: false, code: 'unknown-key' });
    expect((unknown as { error: string }).error).toMatch(/unknown key "maxSpeed" \(settable: maxRttMs/);
    const bad = await controlRequest(control.path, { cmd: 'config-set', key: 'maxJournalFill', value: '1.5' });
    expect(bad).toMatchObject({ ok: false, code: 'bad-value' });
  });

  it('refuses to start over a live socket, and replaces a stale one', async () => {
    const { control } = await serveOne();
    await expect(startControlServer(control.path, async () => ({ ok: true, result: null }))).rejects.toBeInstanceOf(ControlSocketInUseError);
    await control.close();
    // A socket file nobody listens on, as a crash leaves it: a hard link outlives the server's own unlink.
    const { createServer } = await import('node:net');
    const { linkSync } = await import('node:fs');
    const orphan = createServer();
    const scratch = `${control.path}.scratch`;
    await new Promise<void>((r) => orphan.listen(scratch, r));
    linkSync(scratch, control.path);
    await new Promise<void>((r) => orphan.close(() => r()));
    expect(statSync(control.path).isSocket()).toBe(true);
    const again = await startControlServer(control.path, async () => ({ ok: true, result: 'second' }));
    cleanup.push(() => again.close());
    expect(await controlRequest(again.path, { cmd: 'status' })).toEqual({ ok: true, result: 'second' });
  });

  it('--target/--lun select the LUNs an admin action applies to; an unknown one is refused with no-such-lun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-ctl-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const devices = await Promise.all(
      [0, 1].map((i) => ReplicatedDevice.open({ local: new MemoryBlockStore({ size: SIZE }), link: new FakeLink(SIZE), metaDir: join(dir, `meta${i}`), tickMs: 0, mode: 'delta' })),
    );
    for (const d of devices) cleanup.push(() => d.close());
    const logger = pino({ level: 'silent' });
    const target = 'iqn.2026-11.io.tandem:disk0';
    const handler = createControlHandler({
      role: 'primary',
      replicatorIqn: 'iqn.2026-11.io.tandem:replicator',
      logger,
      luns: devices.map((device, lun) => ({ target, lun, path: `/img/${lun}.img`, device })),
    });
    const control = await startControlServer(join(dir, 'tandem.sock'), handler);
    cleanup.push(() => control.close());

    const one = await controlRequest(control.path, { cmd: 'replicate', select: { lun: 1 } });
    expect(one.ok).toBe(true);
    expect((one as { result: { passes: Array<{ lun: number }> } }).result.passes.map((p) => p.lun)).toEqual([1]);
    expect(devices[0]!.status().lastPass).toBeUndefined();
    expect(devices[1]!.status().lastPass).toBeDefined();

    const paused = await controlRequest(control.path, { cmd: 'pause', select: { target: target.toUpperCase(), lun: 0 } });
    expect(paused.ok).toBe(true);
    expect(devices.map((d) => d.status().paused)).toEqual([true, false]);

    const none = await controlRequest(control.path, { cmd: 'resume', select: { lun: 7 } });
    expect(none).toMatchObject({ ok: false, code: 'no-such-lun' });
    expect((none as { error: string }).error).toContain('no replicated LUN matches LUN 7');
    expect(devices[0]!.status().paused).toBe(true);
  });
});
