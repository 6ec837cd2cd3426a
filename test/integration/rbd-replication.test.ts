/**
 * Replication between two RBD-backed LUNs on a real one-node cluster: a primary `tandem
 * serve` on rbd:POOL/primary mirrors onto a backup on rbd:POOL/backup (both made with
 * size=). Host writes through the embedded initiator, first in continuous mode, then in
 * delta mode with `tandem mode set delta` + `tandem replicate`; after each the two images
 * (read with `rbd export`) are identical and `tandem verify` on the primary finds no
 * differing chunk. A block then changed on the backup image behind Tandem's back (a second
 * librbd handle) is the one chunk verify reports.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { modeSetCommand, replicateCommand } from '../../src/cli/admin/actions.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { controlVerifyCommand } from '../../src/cli/admin/verify.js';
import { verifyCommand } from '../../src/cli/verify/command.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { RbdBlockStore } from '../../src/block/rbd-store.js';
import { IscsiSession } from '../../src/initiator/index.js';
import type { ServerStatus, VerifyLunReport } from '../../src/replication/control/handler.js';
import type { ReplicationStatus } from '../../src/replication/status.js';
import type { VerifyReport } from '../../src/verify/engine.js';
import { setLogLevel } from '../../src/util/log.js';
import { describeWithCeph } from '../support/ceph.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:rbd-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:rbd-primary';
const HOST_IQN = 'iqn.2026-11.example:rbd-host';
const MiB = 1 << 20;
const SIZE = 32 * MiB;
/** Verify's chunk: the corrupted block must show up as exactly one. */
const CHUNK = 64 * 1024;
/** The chunk corrupted on the backup at the end; the host writes it first, so its RBD object exists on both sides. */
const CORRUPT_CHUNK = 200;

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithCeph('replication between two RBD-backed LUNs', (cluster) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-rbd-repl-'));
  let backup: RunningServer;
  let primary: RunningServer;
  let host: IscsiSession;
  /** Everything the host wrote, as the primary image must now hold it. */
  const written = Buffer.alloc(SIZE);

  const lun = (image: string) => `rbd:${cluster().pool}/${image},conf=${cluster().conf},size=${SIZE},meta=${join(dir, `${image}-meta`)}`;
  const exported = (image: string) => cluster().rbd('export', '--no-progress', `${cluster().pool}/${image}`, '-');

  async function status(): Promise<ReplicationStatus> {
    const io = capture();
    expect(await statusCommand({ control: primary.controlPath!, json: true, watch: false }, io)).toBe(0);
    return (JSON.parse(io.stdout) as ServerStatus).luns[0]!.replication!;
  }

  /** Polls the primary's status until `done` (bounded; the failure says what was last seen). */
  async function waitFor(what: string, done: (s: ReplicationStatus) => boolean, timeoutMs = 30_000): Promise<ReplicationStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if (done(s)) return s;
      if (Date.now() > deadline) {
        const seen = { state: s.state, journal: s.journal, dirtyChunks: s.dirtyChunks, link: s.figures.linkUp };
        throw new Error(`no ${what} within ${timeoutMs} ms; last status ${JSON.stringify(seen)}`);
      }
      await sleep(100);
    }
  }

  /** Random writes of 4 KiB..256 KiB at random 512-byte-aligned offsets, 4 in flight, recorded in `written`. */
  async function hostWrites(count: number): Promise<void> {
    const queue = Array.from({ length: count }, () => {
      const length = 4096 * (1 + Math.floor(Math.random() * 64));
      const offset = 512 * Math.floor(Math.random() * ((SIZE - length) / 512));
      return { offset, data: randomBytes(length) };
    });
    // Sequential per worker and recorded in issue order: overlapping writes of different
    // workers may land in either order, so each worker keeps to its own quarter of the image.
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        const quarter = SIZE / 4;
        for (let i = w; i < queue.length; i += 4) {
          const { data } = queue[i]!;
          const offset = w * quarter + (queue[i]!.offset % (quarter - data.length));
          const aligned = offset - (offset % 512);
          await host.write16(0, aligned / 512, data);
          data.copy(written, aligned);
        }
      }),
    );
    await host.synchronizeCache(0);
  }

  async function verify(): Promise<VerifyReport> {
    const io = capture();
    const code = await controlVerifyCommand({ control: primary.controlPath!, json: true, chunk: CHUNK }, io);
    if (code !== 0 && code !== 1) throw new Error(`tandem verify exited ${code}: ${io.stderr.trim()}`);
    const reports = JSON.parse(io.stdout) as VerifyLunReport[];
    expect(reports).toHaveLength(1);
    return reports[0]!.report as VerifyReport;
  }

  async function expectImagesEqual(): Promise<void> {
    const [p, b] = await Promise.all([exported('primary'), exported('backup')]);
    expect(p.length).toBe(SIZE);
    // Buffer.equals, not toEqual: a 32 MiB diff would drown the report.
    expect(p.equals(written), 'the primary image holds what the host wrote').toBe(true);
    expect(b.equals(p), 'the backup image equals the primary image').toBe(true);
  }

  beforeAll(async () => {
    setLogLevel('warn');
    backup = await startServer(
      buildServeSettings({ role: 'backup', iqn: BACKUP_IQN, lun: [lun('backup')], listen: ['127.0.0.1:0'], control: join(dir, 'backup.sock'), logLevel: 'warn' }),
    );
    const replica = `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`;
    // The fresh pair syncs first (delta), then mirrors continuously once the link has been
    // healthy for healthyForMs; no early passes from low traffic, so only the test copies in delta.
    primary = await startServer(
      buildServeSettings({
        role: 'primary',
        iqn: PRIMARY_IQN,
        lun: [lun('primary')],
        replica,
        replicationMode: 'auto',
        listen: ['127.0.0.1:0'],
        control: join(dir, 'primary.sock'),
        threshold: ['healthyForMs=500ms', 'lowTrafficBytesPerSec=0'],
        logLevel: 'warn',
      }),
    );
    host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(primary), targetName: PRIMARY_IQN, initiatorName: HOST_IQN });
    await host.waitReady(0);
  }, 120_000);

  afterAll(async () => {
    await host?.logout().catch(() => undefined);
    await primary?.close();
    await backup?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('continuous: host writes reach the backup image; the images are identical and verify finds 0 differing chunks', async () => {
    await waitFor('continuous mirroring', (s) => s.state === 'continuous');
    const first = randomBytes(CHUNK);
    await host.write16(0, (CORRUPT_CHUNK * CHUNK) / 512, first);
    first.copy(written, CORRUPT_CHUNK * CHUNK);
    await hostWrites(48);
    const s = await waitFor('quiesced continuous mirroring', (x) => x.state === 'continuous' && x.journal.entries === 0 && x.dirtyChunks === 0);
    // The writes went through the continuous path, not a fallback to delta.
    expect(s.lastSwitch?.to).toBe('continuous');
    await expectImagesEqual();
    const report = await verify();
    expect(report).toMatchObject({ differingChunks: 0, volumeBytes: SIZE, chunkBytes: CHUNK });
    expect(report.chunksChecked).toBe(SIZE / CHUNK);
  }, 90_000);

  it('delta: writes are tracked, `tandem replicate` copies them; identical images, 0 differing chunks', async () => {
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'delta' }, capture())).toBe(0);
    await waitFor('delta mode', (s) => s.state === 'delta');
    await hostWrites(48);
    expect((await status()).dirtyChunks).toBeGreaterThan(0);
    const pass = capture();
    expect(await replicateCommand({ control: primary.controlPath!, json: true }, pass), pass.stderr).toBe(0);
    expect((JSON.parse(pass.stdout) as { bytesSent: number }).bytesSent).toBeGreaterThan(0);
    expect(await status()).toMatchObject({ state: 'delta', dirtyChunks: 0 });
    await expectImagesEqual();
    expect(await verify()).toMatchObject({ differingChunks: 0, volumeBytes: SIZE });
  }, 90_000);

  it('a block changed on the backup image behind Tandem\'s back is the one chunk verify reports', async () => {
    const chunkIndex = CORRUPT_CHUNK;
    const at = chunkIndex * CHUNK + 7 * 512;
    const side = await RbdBlockStore.open({ pool: cluster().pool, image: 'backup', conf: cluster().conf });
    try {
      const old = Buffer.alloc(512);
      await side.read(old, at);
      const fresh = randomBytes(512);
      if (fresh.equals(old)) fresh[0] = old[0]! ^ 0xff;
      await side.write(fresh, at, true);
    } finally {
      await side.close();
    }
    const report = await verify();
    expect(report.differingChunks).toBe(1);
    expect(report.differing).toEqual([{ lba: (chunkIndex * CHUNK) / 512, blocks: CHUNK / 512 }]);
    // The standalone form reads the primary's image through librbd itself: the same one chunk (exit 1).
    const io = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') => ({ write: (t: string) => ((io[key] += t), true) });
    const code = await verifyCommand(
      {
        source: `rbd:${cluster().pool}/primary,conf=${cluster().conf}`,
        replica: `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`,
        chunk: '64KiB',
        repair: false,
        json: true,
      },
      { stdout: sink('stdout'), stderr: sink('stderr') },
    );
    expect(code, io.stderr).toBe(1);
    expect((JSON.parse(io.stdout) as VerifyReport).differing).toEqual(report.differing);
    // The primary is untouched.
    expect((await exported('primary')).equals(written)).toBe(true);
  }, 60_000);
});
