/**
 * `tandem config set` and `tandem mode set` over several LUNs are recorded for all of them or
 * for none, before any acts: a settings file that cannot be read (corrupt) or written (the
 * write fails on the second LUN) leaves every LUN as it was, on disk and in memory, and the
 * one the write already replaced is put back. Otherwise a restart would bring the LUNs back
 * with different values. Settings changes run one at a time: two at once each wrote back
 * what it had read. The devices are fakes that record what ran; the files are real.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControlHandler, type ControlLun } from '../../src/replication/control/handler.js';
import { SETTINGS_FILE } from '../../src/replication/control/persisted-settings.js';
import type { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { silentLogger } from '../replication/sim-backup.js';

const TARGET = 'iqn.2026-12.io.tandem:t';
const noProgress = () => undefined;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-settings-all-or-none-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lunWithMetaDir(lun: number, ran: string[]): ControlLun {
  const metaDir = join(dir, `lun${lun}.img.tandem`);
  mkdirSync(metaDir);
  const device = {
    role: 'primary',
    setThreshold(key: string, value: number) {
      ran.push(`${key}=${value} on ${lun}`);
    },
    async setMode(mode: string, flavour?: string) {
      ran.push(`mode ${mode} ${flavour ?? ''} on ${lun}`);
    },
    status: () => ({ state: 'continuous' }),
  };
  return { target: TARGET, lun, path: join(dir, `lun${lun}.img`), metaDir, device: device as unknown as ReplicatedDevice };
}

const settingsOf = (l: ControlLun) => join(l.metaDir!, SETTINGS_FILE);
const handlerFor = (luns: ControlLun[]) => createControlHandler({ role: 'primary', replicatorIqn: 'iqn.2026-12.io.tandem:replicator', luns, logger: silentLogger });

describe('run-time settings of several LUNs', () => {
  it('are recorded for both LUNs and act on both', async () => {
    const ran: string[] = [];
    const luns = [lunWithMetaDir(0, ran), lunWithMetaDir(1, ran)];
    const r = await handlerFor(luns)({ cmd: 'config-set', key: 'maxRttMs', value: '250' }, noProgress);
    expect(r.ok).toBe(true);
    expect(ran).toEqual(['maxRttMs=250 on 0', 'maxRttMs=250 on 1']);
    for (const l of luns) expect(JSON.parse(readFileSync(settingsOf(l), 'utf8'))).toEqual({ maxRttMs: 250 });
  });

  it('with the second LUN\'s file corrupt: refused, nothing recorded, nothing acts', async () => {
    const ran: string[] = [];
    const luns = [lunWithMetaDir(0, ran), lunWithMetaDir(1, ran)];
    writeFileSync(settingsOf(luns[1]!), '{ not json');
    // The control server answers a thrown error as `failed` with its message: one line, exit 1.
    await expect(handlerFor(luns)({ cmd: 'config-set', key: 'maxRttMs', value: '250' }, noProgress)).rejects.toThrow('not valid JSON');
    expect(ran).toEqual([]);
    expect(existsSync(settingsOf(luns[0]!))).toBe(false);
  });

  for (const request of [
    { cmd: 'config-set', key: 'maxRttMs', value: '250' },
    { cmd: 'mode', mode: 'delta', flavour: 'sync' },
  ] as const) {
    it(`${request.cmd}: a write failing on the second LUN puts the first back and nothing acts`, async () => {
      const ran: string[] = [];
      const luns = [lunWithMetaDir(0, ran), lunWithMetaDir(1, ran)];
      const first = `${JSON.stringify({ maxRttMs: 100, mode: 'auto' }, null, 2)}\n`;
      writeFileSync(settingsOf(luns[0]!), first);
      // The second LUN's atomic replace cannot create its temp file (a directory holds the name).
      mkdirSync(join(luns[1]!.metaDir!, `.${SETTINGS_FILE}.tmp-${process.pid}`));
      await expect(handlerFor(luns)(request, noProgress)).rejects.toThrow(/EISDIR.*; nothing changed$/);
      expect(ran).toEqual([]);
      expect(readFileSync(settingsOf(luns[0]!), 'utf8')).toBe(first);
      expect(existsSync(settingsOf(luns[1]!))).toBe(false);
    });
  }

  it('a first LUN that had no settings file has none again after the second fails', async () => {
    const ran: string[] = [];
    const luns = [lunWithMetaDir(0, ran), lunWithMetaDir(1, ran)];
    mkdirSync(join(luns[1]!.metaDir!, `.${SETTINGS_FILE}.tmp-${process.pid}`));
    await expect(handlerFor(luns)({ cmd: 'config-set', key: 'afterSplitBrain', value: 'discard-younger-primary' }, noProgress)).rejects.toThrow(/nothing changed$/);
    expect(ran).toEqual([]);
    expect(existsSync(settingsOf(luns[0]!))).toBe(false);
  });
});

describe('run-time settings changed at once', () => {
  it('two config set of different keys (and a mode set) all reach the file', async () => {
    const ran: string[] = [];
    const luns = [lunWithMetaDir(0, ran)];
    const handle = handlerFor(luns);
    const results = await Promise.all([
      handle({ cmd: 'config-set', key: 'maxRttMs', value: '250' }, noProgress),
      handle({ cmd: 'config-set', key: 'healthyForMs', value: '3000' }, noProgress),
      handle({ cmd: 'mode', mode: 'delta' }, noProgress),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(JSON.parse(readFileSync(settingsOf(luns[0]!), 'utf8'))).toEqual({ maxRttMs: 250, healthyForMs: 3000, mode: 'delta' });
  });
});
