import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { parseReplicationTuning } from '../../src/cli/replication-options.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configWith(replication: unknown, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      role: 'primary',
      targets: [{ iqn: 'iqn.2026-11.io.tandem:p', luns: [{ path: join(dir, 'p.img'), size: '8M', replica: 'iscsi://127.0.0.1:3261/iqn.2026-11.io.tandem:b/0' }] }],
      replication,
      ...extra,
    }),
  );
  return path;
}

describe('the config file\'s replication object', () => {
  it('takes thresholds, chunkSize, journalCapacity and deltaIntervalMs as numbers or unit strings', () => {
    const s = buildServeSettings({ config: configWith({ thresholds: { maxRttMs: '2s', maxRedundancy: 4, maxJournalFill: 0.5 }, chunkSize: '128KiB', journalCapacity: '16MiB', deltaIntervalMs: '30s' }) });
    expect(s.replication).toEqual({ thresholds: { maxRttMs: 2000, maxRedundancy: 4, maxJournalFill: 0.5 }, chunkSize: 131072, journalCapacity: 16 * 1024 * 1024, deltaIntervalMs: 30_000 });
  });

  it('takes the write path\'s memory and activity-log sizes: queueMemory, activityExtentSize, activityExtents', () => {
    const s = buildServeSettings({ config: configWith({ queueMemory: '128MiB', activityExtentSize: '1MiB', activityExtents: 4096 }) });
    expect(s.replication).toMatchObject({ queueMemory: 128 * 1024 * 1024, activityExtentSize: 1024 * 1024, activityExtents: 4096 });
  });

  it('takes linkTimeoutMs, the bound on every replica-link command (and so on link-failure detection)', () => {
    expect(buildServeSettings({ config: configWith({ linkTimeoutMs: '2s' }) }).replication!.linkTimeoutMs).toBe(2000);
    expect(buildServeSettings({ config: configWith({ linkTimeoutMs: 750 }) }).replication!.linkTimeoutMs).toBe(750);
  });

  it('--threshold flags override the file', () => {
    const s = buildServeSettings({ config: configWith({ thresholds: { maxRttMs: 100 } }), threshold: ['maxRttMs=7', 'healthyForMs=1m'] });
    expect(s.replication!.thresholds).toEqual({ maxRttMs: 7, healthyForMs: 60_000 });
  });

  it('--threshold names only its own keys, not ones every object inherits', () => {
    for (const flag of ['constructor=1', 'toString=1']) {
      expect(() => buildServeSettings({ config: configWith({}), threshold: [flag] })).toThrow(/--threshold: expected KEY=VALUE with KEY one of maxRttMs/);
    }
  });

  it.each([
    [{ bogus: 1 }, /replication: unknown key "bogus" \(allowed: thresholds, chunkSize, journalCapacity, queueMemory, activityExtentSize, activityExtents, deltaIntervalMs, linkTimeoutMs, afterSplitBrain, pointInterval, retention\)/],
    [{ queueMemory: '4KiB' }, /queueMemory: 4096 is below the minimum of 1 MiB/],
    // The field named once ('replication.retention: retention: ...' before).
    [{ retention: 'last=8,weekly=2' }, /replication\.retention: "weekly=2" is not last=N, hourly=N or daily=N/],
    [{ retention: 8 }, /replication\.retention: must be a string such as "last=8,hourly=24,daily=14"/],
    [{ pointInterval: 'soon' }, /replication\.pointInterval: /],
    [{ activityExtentSize: '32KiB' }, /activityExtentSize: 32768 is not a power of two between the chunk size \(65536\) and 1 GiB/],
    [{ activityExtentSize: 3000000 }, /activityExtentSize: 3000000 is not a power of two/],
    [{ activityExtents: 0 }, /activityExtents: must be a whole number from 1 to 65536/],
    [{ linkTimeoutMs: 'never' }, /replication\.linkTimeoutMs: must be a duration of at least 100 ms/],
    [{ linkTimeoutMs: 50 }, /replication\.linkTimeoutMs: must be a duration of at least 100 ms/],
    [{ thresholds: { maxSpeed: 1 } }, /replication\.thresholds: unknown key "maxSpeed" \(allowed: maxRttMs/],
    [{ thresholds: { maxRttMs: 'soon' } }, /replication\.thresholds\.maxRttMs: "soon" is not a duration/],
    [{ thresholds: { maxJournalFill: 2 } }, /maxJournalFill: must be a fraction/],
    [{ chunkSize: 3000 }, /chunkSize: 3000 is not a power of two/],
    // A resync challenges a chunk as one extent; the backup takes none above 8 MiB (the link test below).
    [{ chunkSize: '16MiB' }, /chunkSize: 16777216 is not a power of two between 512 and 8 MiB/],
    [{ journalCapacity: 1000 }, /journalCapacity: 1000 is below the minimum of 1 MiB/],
    ['fast', /replication must be an object/],
  ])('refuses %j with one precise line', (replication, message) => {
    const path = configWith(replication);
    expect(() => buildServeSettings({ config: path })).toThrow(UsageError);
    expect(() => buildServeSettings({ config: path })).toThrow(message);
  });

  it('a chunk smaller than a replicated LUN\'s block size is refused', () => {
    expect(() => parseReplicationTuning({ chunkSize: 512 })).not.toThrow();
    expect(() => parseReplicationTuning({ chunkSize: '8MiB' })).not.toThrow();
    const path = join(dir, 'bs.json');
    writeFileSync(
      path,
      JSON.stringify({
        role: 'primary',
        replication: { chunkSize: 2048 },
        targets: [{ iqn: 'iqn.2026-11.io.tandem:p', luns: [{ path: join(dir, 'q.img'), blockSize: 4096, replica: 'iscsi://127.0.0.1:3261/iqn.2026-11.io.tandem:b/0' }] }],
      }),
    );
    expect(() => buildServeSettings({ config: path })).toThrow(/chunkSize 2048 is smaller than the block size 4096/);
  });

  it('--threshold needs --role primary and a known KEY=VALUE; --metrics needs a port', () => {
    expect(() => buildServeSettings({ threshold: ['maxRttMs=1'] })).toThrow(/--threshold only applies with --role primary/);
    expect(() => buildServeSettings({ config: configWith(undefined), threshold: ['speed=1'] })).toThrow(/--threshold: expected KEY=VALUE/);
    expect(() => buildServeSettings({ metrics: '127.0.0.1' })).toThrow(/--metrics: "127.0.0.1" needs a port/);
    expect(buildServeSettings({ metrics: '127.0.0.1:9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
  });
});
