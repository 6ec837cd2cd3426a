import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicateCommand } from '../../src/cli/admin/actions.js';
import { IscsiSession } from '../../src/initiator/index.js';
import { parseExposition, sampleOf } from './prometheus-text.js';
import { PRIMARY_IQN, portOf, startPair, type Pair } from './replicated-pair.js';

const quiet = { out: () => undefined, err: () => undefined };

describe('tandem serve --metrics: GET /metrics on a replicating primary', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ metrics: '127.0.0.1:0' });
  }, 30_000);
  afterAll(() => pair?.close());

  const scrape = async (path = '/metrics') => fetch(`http://${pair.primary.metricsAddress}${path}`);

  it('serves the Prometheus text format with live per-LUN figures and the session count', async () => {
    const host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(pair.primary), targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.example:host' });
    try {
      await host.waitReady(0);
      // Three 4 KiB writes in chunk 0 and one in chunk 2: two dirty chunks of 64 KiB.
      for (const lba of [0, 8, 16, 256]) await host.write16(0, lba, randomBytes(4096));
      const res = await scrape();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const e = parseExposition(await res.text());
      const lun = { target: PRIMARY_IQN, lun: '0' };
      expect(sampleOf(e, 'tandem_sessions', { target: PRIMARY_IQN })).toBe(1);
      expect(sampleOf(e, 'tandem_replication_mode', { ...lun, mode: 'delta' })).toBe(1);
      expect(sampleOf(e, 'tandem_replication_dirty_chunks', lun)).toBeGreaterThanOrEqual(2);
      expect(sampleOf(e, 'tandem_replication_link_up', lun)).toBe(1);
      // The host's connection; its writes are done, so no buffer is held.
      expect(sampleOf(e, 'tandem_connections', {})).toBe(1);
      expect(sampleOf(e, 'tandem_connections_max', {})).toBe(256);
      expect(sampleOf(e, 'tandem_connections_refused_total', {})).toBe(0);
      expect(sampleOf(e, 'tandem_buffer_memory_used_bytes', {})).toBe(0);
      expect(sampleOf(e, 'tandem_buffer_memory_bytes', {})).toBe(1024 ** 3);
      // What the LUN served: the four host writes (the replicator's passes are the backup's to count).
      expect(sampleOf(e, 'tandem_lun_commands_total', { ...lun, kind: 'write' })).toBe(4);
      expect(sampleOf(e, 'tandem_lun_write_bytes_total', lun)).toBe(4 * 4096);
      expect(sampleOf(e, 'tandem_lun_command_seconds_total', { ...lun, kind: 'write' })).toBeGreaterThanOrEqual(0);
      expect(sampleOf(e, 'tandem_lun_failed_commands_total', lun)).toBe(0);
    } finally {
      await host.logout();
    }
    expect(await replicateCommand({ control: pair.primary.controlPath! }, quiet)).toBe(0);
    const after = parseExposition(await (await scrape()).text());
    const lun = { target: PRIMARY_IQN, lun: '0' };
    expect(sampleOf(after, 'tandem_replication_dirty_chunks', lun)).toBe(0);
    expect(sampleOf(after, 'tandem_replication_last_pass_bytes', lun)).toBeGreaterThan(0);
    expect(sampleOf(after, 'tandem_replication_recovery_point_age_seconds', lun)).toBe(0);
    expect(sampleOf(after, 'tandem_sessions', { target: PRIMARY_IQN })).toBe(0);
  });

  it('answers 404 off /metrics and 405 for other methods', async () => {
    expect((await scrape('/')).status).toBe(404);
    expect((await fetch(`http://${pair.primary.metricsAddress}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
