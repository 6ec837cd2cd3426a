/**
 * `--point-hook-timeout SECONDS` (or "pointHookTimeout" in the config file): checked like
 * other flags (a bad value is one line and exit 2 from the built CLI), and through two
 * `tandem serve` nodes a hook that outlives a 1 s bound is killed, its whole process
 * group with it, and no point is taken; the next point, with a quick hook, is.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { pointCreateCommand, pointsCommand } from '../../src/cli/admin/points.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import type { TargetPoints } from '../../src/replication/control/point-actions.js';
import { UsageError } from '../../src/util/usage-error.js';
import { setLogLevel } from '../../src/util/log.js';
import { tandem } from '../support/built-cli.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:hook-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:hook-primary';
const SIZE = 4 * 1024 * 1024;

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** Whether `pid` still runs (a killed process its parent has not reaped yet is a zombie: it does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('--point-hook-timeout', () => {
  const backupFlags = { role: 'backup', lun: ['/tmp/never-opened.img,size=4M'], pointHook: 'true' };

  it('takes seconds, fractions too, from the flag or the config file', () => {
    expect(buildServeSettings({ ...backupFlags, pointHookTimeout: '1.5' }).pointHookTimeoutMs).toBe(1500);
    expect(buildServeSettings({ ...backupFlags }).pointHookTimeoutMs).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'tandem-hook-cfg-'));
    try {
      const config = join(dir, 'tandem.json');
      writeFileSync(config, JSON.stringify({ role: 'backup', pointHook: 'true', pointHookTimeout: 45, targets: [{ iqn: BACKUP_IQN, luns: ['/tmp/never-opened.img,size=4M'] }] }));
      expect(buildServeSettings({ config }).pointHookTimeoutMs).toBe(45_000);
      writeFileSync(config, JSON.stringify({ role: 'backup', pointHook: 'true', pointHookTimeout: '45s' }));
      expect(() => buildServeSettings({ config })).toThrow(/"pointHookTimeout" must be a number of seconds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a positive number of seconds, and a timeout without a hook', () => {
    for (const bad of ['0', '-1', 'abc', '', '1s', ' 5']) {
      expect(() => buildServeSettings({ ...backupFlags, pointHookTimeout: bad }), bad).toThrow(UsageError);
      expect(() => buildServeSettings({ ...backupFlags, pointHookTimeout: bad }), bad).toThrow(/^--point-hook-timeout: ".*" is not a positive number of seconds$/);
    }
    expect(() => buildServeSettings({ role: 'backup', lun: backupFlags.lun, pointHookTimeout: '5' })).toThrow(/^--point-hook-timeout only applies with --point-hook$/);
  });

  it('the built CLI answers a bad value with one line and exit 2', async () => {
    const r = await tandem('serve', '--role', 'backup', '--lun', '/tmp/never-opened.img,size=4M', '--point-hook', 'true', '--point-hook-timeout', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tandem: --point-hook-timeout: "0" is not a positive number of seconds\n');
  });
});

describe('a point hook that outlives its bound', () => {
  let dir: string;
  let backup: RunningServer;
  let primary: RunningServer;

  beforeAll(async () => {
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-hook-'));
    // "before" of the first point hangs in a child of the shell (its pid recorded); every other run is quick.
    const hook = `if [ "$TANDEM_POINT_PHASE" = before ] && [ ! -e ${join(dir, 'hung')} ]; then sleep 60 & echo $! > ${join(dir, 'hung')}; wait; fi; echo "$TANDEM_POINT_PHASE $TANDEM_POINT_ID" >> ${join(dir, 'hook.log')}`;
    backup = await startServer(buildServeSettings({ listen: ['127.0.0.1:0'], role: 'backup', iqn: BACKUP_IQN, lun: [`${join(dir, 'backup.img')},size=${SIZE}`], control: join(dir, 'backup.sock') }));
    const backupPort = Number(backup.addresses[0]!.split(':').pop());
    primary = await startServer(
      buildServeSettings({
        role: 'primary',
        listen: ['127.0.0.1:0'],
        threshold: ['pointInterval=0'],
        iqn: PRIMARY_IQN,
        lun: [`${join(dir, 'primary.img')},size=${SIZE}`],
        replica: `iscsi://127.0.0.1:${backupPort}/${BACKUP_IQN}/0`,
        control: join(dir, 'primary.sock'),
        pointHook: hook,
        pointHookTimeout: '1',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await primary?.close();
    await backup?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is killed with its children after 1 s, and no point is taken; the next point is', async () => {
    const io = capture();
    expect(await pointCreateCommand({ control: primary.controlPath! }, io)).toBe(1);
    expect(io.stderr).toBe('tandem: point hook (before) did not finish within 1000 ms\n');
    const sleeper = Number(readFileSync(join(dir, 'hung'), 'utf8'));
    expect(running(sleeper), 'the hook\'s child is killed with it').toBe(false);
    // "after" ran all the same (a thaw is never skipped); "before" never finished.
    expect(readFileSync(join(dir, 'hook.log'), 'utf8')).toBe('after 1\n');
    const listed = capture();
    expect(await pointsCommand({ control: backup.controlPath!, json: true }, listed)).toBe(0);
    expect((JSON.parse(listed.stdout) as { targets: TargetPoints[] }).targets[0]!.points).toEqual([]);

    const next = capture();
    expect(await pointCreateCommand({ control: primary.controlPath!, json: true }, next)).toBe(0);
    expect((JSON.parse(next.stdout) as { points: Array<{ id: number }> }).points[0]!.id).toBe(2);
  }, 60_000);
});
