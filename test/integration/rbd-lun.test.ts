/**
 * A LUN served over iSCSI from an RBD image on a real one-node cluster: the embedded
 * initiator and qemu-img write and read through Tandem, and `rbd export` shows what they
 * wrote; the built CLI reports a LUN it cannot open in one line.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { write16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { TEST_INITIATOR } from '../initiator/tgtd.js';
import { describeWithCeph } from '../support/ceph.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const MiB = 1 << 20;
const IQN = 'iqn.2026-11.io.tandem:rbd';

describeWithCeph('an RBD-backed LUN over iSCSI', (cluster) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-rbd-lun-'));
  let server: RunningServer;
  let session: IscsiSession;
  let url: string;
  const image = 'lun0';

  beforeAll(async () => {
    const { conf, pool } = cluster();
    const settings = buildServeSettings({
      listen: ['127.0.0.1:0'],
      iqn: IQN,
      lun: [`rbd:${pool}/${image},conf=${conf},size=64M,meta=${join(dir, 'meta')}`],
      logLevel: 'warn',
    });
    server = await startServer(settings);
    const port = Number(server.addresses[0]!.split(':').pop());
    url = `iscsi://127.0.0.1:${port}/${IQN}/0`;
    session = await IscsiSession.connect({ host: '127.0.0.1', port, targetName: IQN, initiatorName: TEST_INITIATOR });
    await session.waitReady(0);
  }, 60_000);

  afterAll(async () => {
    await session?.logout().catch(() => undefined);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const exported = async (): Promise<Buffer> => cluster().rbd('export', '--no-progress', `${cluster().pool}/${image}`, '-');

  it('reports the image size as the capacity', async () => {
    const cap = await session.readCapacity16(0);
    expect(cap.blockSize).toBe(512);
    expect(cap.blockCount).toBe(BigInt((64 * MiB) / 512));
  });

  it('takes 32 writes in flight, reads them back, and rbd export holds them after SYNCHRONIZE CACHE', async () => {
    const chunk = 128 * 1024;
    const data = randomBytes(4 * MiB);
    const writes = [];
    for (let i = 0; i < 32; i++) {
      writes.push(session.scsi(0, write16Cdb((i * chunk) / 512, chunk / 512), { dataOut: data.subarray(i * chunk, (i + 1) * chunk) }));
    }
    await Promise.all(writes);
    const reads = [];
    for (let i = 0; i < 32; i++) reads.push(session.read16(0, (i * chunk) / 512, chunk / 512));
    expect(Buffer.concat(await Promise.all(reads)).equals(data)).toBe(true);
    await session.synchronizeCache(0);
    expect((await exported()).subarray(0, data.length).equals(data)).toBe(true);
  });

  it('a FUA write is in the image as soon as it completes', async () => {
    const data = randomBytes(64 * 1024);
    await session.write16(0, (8 * MiB) / 512, data, { fua: true });
    expect((await exported()).subarray(8 * MiB, 8 * MiB + data.length).equals(data)).toBe(true);
  });

  it('qemu-img convert round-trips an image through it', async () => {
    const src = join(dir, 'src.raw');
    const back = join(dir, 'back.raw');
    writeFileSync(src, Buffer.concat([randomBytes(5 * MiB), Buffer.alloc(59 * MiB)]));
    await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url]);
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, back]);
    const want = readFileSync(src);
    expect(readFileSync(back).equals(want)).toBe(true);
    expect((await exported()).equals(want)).toBe(true);
  }, 60_000);

  it('the built CLI names a LUN it cannot open in one line (exit 1)', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const lun = `rbd:nosuchpool/x,conf=${cluster().conf}`;
    const failed = await run(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--lun', lun]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stderr: 'tandem: rbd:nosuchpool/x: pool nosuchpool does not exist: ENOENT\n' });
  }, 60_000);
});
