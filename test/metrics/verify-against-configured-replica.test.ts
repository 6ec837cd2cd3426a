import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicateCommand } from '../../src/cli/admin/actions.js';
import { controlVerifyCommand } from '../../src/cli/admin/verify.js';
import type { VerifyLunReport } from '../../src/replication/control/handler.js';
import type { VerifyReport } from '../../src/verify/engine.js';
import { IscsiSession } from '../../src/initiator/index.js';
import { PRIMARY_IQN, portOf, startPair, type Pair } from './replicated-pair.js';

function capture() {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('tandem verify with no --source/--replica: the primary verifies its configured replica', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair();
    const host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(pair.primary), targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.example:host' });
    try {
      await host.waitReady(0);
      for (let i = 0; i < 16; i++) await host.write16(0, i * 301, randomBytes(4096));
      await host.synchronizeCache(0);
    } finally {
      await host.logout();
    }
    expect(await replicateCommand({ control: pair.primary.controlPath! }, capture())).toBe(0);
  }, 30_000);
  afterAll(() => pair?.close());

  it('in step: exit 0 and the usual report, naming the replica without its secret', async () => {
    const io = capture();
    expect(await controlVerifyCommand({ control: pair.primary.controlPath! }, io)).toBe(0);
    expect(io.stdout).toContain(`LUN ${PRIMARY_IQN}/0`);
    expect(io.stdout).toMatch(/differ\s+0 chunks/);
    expect(io.stdout).toContain(pair.replicaUrl);
  });

  it('a chunk changed behind the backup\'s back: exit 1 and the report names its extent', async () => {
    // Corrupt the backup's image directly at 1 MiB (chunk 16 of 64 KiB).
    const fd = openSync(join(pair.dir, 'backup.img'), 'r+');
    writeSync(fd, Buffer.alloc(512, 0xab), 0, 512, 1024 * 1024);
    closeSync(fd);
    const io = capture();
    expect(await controlVerifyCommand({ control: pair.primary.controlPath!, json: true }, io)).toBe(1);
    const reports = JSON.parse(io.stdout) as VerifyLunReport[];
    expect(reports).toHaveLength(1);
    const report = reports[0]!.report as VerifyReport;
    expect(report.differingChunks).toBe(1);
    expect(report.differing).toEqual([{ lba: 2048, blocks: 128 }]);
  });

  it('a backup is not the one to verify from: exit 3 with one line', async () => {
    const io = capture();
    expect(await controlVerifyCommand({ control: join(pair.dir, 'backup.sock') }, io)).toBe(3);
    expect(io.stderr).toMatch(/^tandem: verify: this node is a backup for this LUN \(its primary replicates\)\n$/);
  });
});
