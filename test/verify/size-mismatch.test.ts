/**
 * A replica smaller than its source: a usage error naming both exact sizes, before any
 * challenge. A larger one (a pair grown backup first) is compared over the source's extent.
 */
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { verifyCommand } from '../../src/cli/verify/command.js';
import { runVerify } from '../../src/verify/run.js';
import { setLogLevel } from '../../src/util/log.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

describe('verify usage errors', () => {
  let target: LiveTarget;
  let dir: string;
  let small: string;

  beforeAll(async () => {
    setLogLevel('warn');
    target = await startLiveTarget({ lunSpecs: ['disk0.img,size=16M'] });
    dir = mkdtempSync(join(tmpdir(), 'tandem-verify-size-'));
    small = join(dir, 'small.img');
    const fd = openSync(small, 'w');
    ftruncateSync(fd, 8 * 1024 * 1024);
    closeSync(fd);
  });

  afterAll(async () => {
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names both sizes when the replica is smaller than the source', async () => {
    const large = join(dir, 'large.img');
    const fd = openSync(large, 'w');
    ftruncateSync(fd, 32 * 1024 * 1024);
    closeSync(fd);
    const attempt = runVerify({ source: large, replica: target.url() });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(runVerify({ source: large, replica: target.url() })).rejects.toThrow(
      'source is 33554432 bytes but replica is 16777216 bytes (32768 blocks of 512)',
    );
  });

  it('compares a larger replica over the source\'s extent and says what it left out', async () => {
    const report = await runVerify({ source: small, replica: target.url() });
    expect(report).toMatchObject({ volumeBytes: 8 * 1024 * 1024, replicaBeyondBytes: 8 * 1024 * 1024, differingChunks: 0 });
    const out: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => true } } as unknown as Parameters<typeof verifyCommand>[1];
    // The CLI's defaults (--chunk 64KiB, no --repair, no --json), as yargs fills them in.
    expect(await verifyCommand({ source: small, replica: target.url(), chunk: '64KiB', repair: false, json: false }, io)).toBe(0);
    expect(out.join('')).toMatch(/beyond   the replica's last 8\.00 MiB lie past the source's end: not compared/);
  });

  it('rejects a bad URL, chunk or depth as usage errors', async () => {
    await expect(runVerify({ source: small, replica: 'http://x/iqn.a:b/0' })).rejects.toThrow(/--replica: URL must start with iscsi:\/\//);
    await expect(runVerify({ source: small, replica: target.url(), chunk: '12 parsecs' })).rejects.toThrow(/--chunk/);
    await expect(runVerify({ source: target.url(), replica: target.url(), chunk: '1000' })).rejects.toThrow(/multiple of the 512-byte block/);
    await expect(runVerify({ source: small, replica: target.url(), depth: 0 })).rejects.toThrow(/--depth/);
  });

  it('reports other failures as one line and exit code 3', async () => {
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => err.push(t) > 0 } };
    const code = await verifyCommand({ source: join(dir, 'absent.img'), replica: target.url(), chunk: '64KiB', repair: false, json: true }, io);
    expect(code).toBe(3);
    expect(err.join('')).toMatch(/^tandem verify: .*absent\.img.*\n$/);
  });
});
