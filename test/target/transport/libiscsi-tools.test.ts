/**
 * End to end: real libiscsi tools (iscsi-ls, iscsi-inq) against an IscsiServer with the
 * real login negotiator and ScsiTarget over an in-memory LU.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { IscsiServer } from '../../../src/target/server.js';

const run = promisify(execFile);
const IQN = 'iqn.2026-01.io.tandem:transport-it';
let server: IscsiServer;
let scsi: ScsiTarget;
let port: number;
let dir: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-transport-'));
  const unit = await LogicalUnit.create({
    lun: 0,
    targetName: IQN,
    device: new MemoryBlockStore({ size: 16 * 1024 * 1024 }),
    blockSize: 512,
    metaDir: dir,
  });
  scsi = new ScsiTarget(IQN, [unit]);
  server = new IscsiServer({
    targets: [{ config: { iqn: IQN, allow: [] }, scsi }],
    portals: [{ host: '127.0.0.1', port: 0 }],
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
  });
  port = (await server.listen())[0]!.port;
});

afterAll(async () => {
  await server?.close();
  await scsi?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('libiscsi tools against the transport', () => {
  it('iscsi-ls -s discovers the target through SendTargets and logs in to list LUN 0', async () => {
    const { stdout } = await run('iscsi-ls', ['-s', `iscsi://127.0.0.1:${port}`], { timeout: 20000 });
    expect(stdout).toContain(`Target:${IQN} Portal:127.0.0.1:${port},1`);
    expect(stdout).toMatch(/Lun:0\s+Type:DIRECT_ACCESS/);
    expect(server.sessions.size).toBe(0);
  });

  it('iscsi-inq reads standard INQUIRY data', async () => {
    const { stdout } = await run('iscsi-inq', [`iscsi://127.0.0.1:${port}/${IQN}/0`], { timeout: 20000 });
    expect(stdout).toMatch(/Peripheral Device Type:\s*DIRECT_ACCESS/i);
  });

  it('logs one login line per session with the negotiated parameters', async () => {
    logLines.length = 0;
    await run('iscsi-inq', [`iscsi://127.0.0.1:${port}/${IQN}/0`], { timeout: 20000 });
    const logins = logLines.map((l) => JSON.parse(l) as { msg: string; initiator?: string; tsih?: number }).filter((l) => l.msg === 'login');
    expect(logins).toHaveLength(1);
    expect(logins[0]!.initiator).toMatch(/libiscsi/);
    expect(logins[0]!.tsih).toBeGreaterThan(0);
  });
});
