import { describe, expect, it } from 'vitest';
import type { AnyServerStatus } from '../../src/replication/control/handler.js';
import type { ReplicationStatus } from '../../src/replication/status.js';
import { DEFAULT_THRESHOLDS } from '../../src/replication/switch-criteria.js';
import { renderMetrics } from '../../src/replication/metrics.js';
import { parseExposition, sampleOf } from './prometheus-text.js';

const T = 'iqn.2026-11.io.tandem:primary';

function replication(overrides: Partial<ReplicationStatus> = {}): ReplicationStatus {
  return {
    role: 'primary',
    mode: 'auto',
    flavour: 'async',
    state: 'delta',
    lastSwitch: { at: 1_700_000_000_000, from: 'continuous', to: 'delta', reason: 'journal-redundant' },
    figures: { linkUp: true, rttMs: 2.5, writeLatencyMs: undefined, inflowBytesPerSec: 1000, flushBytesPerSec: 250, journalFill: 0.25, redundancy: 4.5 },
    journal: { usedBytes: 1024, capacity: 4096, entries: 3, spilledBytes: 512, toSend: 2 },
    dirtyChunks: 7,
    dirtyBytes: 7 * 65536,
    lastPass: {
      chunks: 9,
      sentChunks: 8,
      bytesSent: 8 * 65536,
      durationMs: 1500,
      staged: false,
      skippedChunks: 1,
      sentWithoutChallengeChunks: 8,
      unmappedChunks: 0,
      challengedChunks: 0,
      allocationQueries: 0,
      at: 1_700_000_001_000,
    },
    passFailure: undefined,
    identity: { volumeId: 'v', generation: 1, replicaSynced: true } as ReplicationStatus['identity'],
    generations: { current: 'g', bitmap: 'g', history: [], since: 1_700_000_000_000 },
    peer: undefined,
    splitBrain: undefined,
    resync: undefined,
    resyncTarget: false,
    handingOver: false,
    newestWriteAt: undefined,
    afterSplitBrain: 'disconnect',
    paused: false,
    thresholds: { ...DEFAULT_THRESHOLDS },
    deltaIntervalMs: 60_000,
    recoveryPointAgeMs: 12_500,
    link: { up: true, rttMs: 2.5, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 123456 },
    binding: { state: 'bound' },
    alua: { local: { group: 1, state: 'active/optimized' }, peer: { group: 2, state: 'standby' } },
    ...overrides,
  };
}

function status(r: ReplicationStatus): AnyServerStatus {
  return {
    role: 'primary',
    replicatorIqn: 'iqn.2026-11.io.tandem:replicator',
    now: 0,
    luns: [
      { target: T, lun: 0, path: '/a.img', replica: 'iscsi://u:***@h:3260/x/0', replication: r },
      { target: T, lun: 1, path: '/b.img' },
    ],
  };
}

describe('renderMetrics: the roles held now', () => {
  it('tandem_role follows a promote or demote, not the role the server started with', () => {
    const demoted = parseExposition(renderMetrics({ status: status(replication({ role: 'backup' })) }));
    expect(sampleOf(demoted, 'tandem_role', { role: 'primary' })).toBe(0);
    expect(sampleOf(demoted, 'tandem_role', { role: 'backup' })).toBe(1);
    const mixed = status(replication({ role: 'primary' }));
    mixed.luns[1]!.replication = replication({ role: 'backup' });
    const both = parseExposition(renderMetrics({ status: mixed }));
    expect([sampleOf(both, 'tandem_role', { role: 'primary' }), sampleOf(both, 'tandem_role', { role: 'backup' })]).toEqual([1, 1]);
    // No replicated LUN: the role the server was started with.
    const plain = status(replication());
    delete plain.luns[0]!.replication;
    expect(sampleOf(parseExposition(renderMetrics({ status: plain })), 'tandem_role', { role: 'primary' })).toBe(1);
  });
});

describe('renderMetrics: per-LUN replication figures in Prometheus text', () => {
  it('reports every figure of the status under its LUN labels, in base units', () => {
    const e = parseExposition(renderMetrics({ status: status(replication()), sessions: [{ target: T, sessions: 2 }] }));
    const lun0 = { target: T, lun: '0' };
    expect(sampleOf(e, 'tandem_role', { role: 'primary' })).toBe(1);
    expect(sampleOf(e, 'tandem_role', { role: 'backup' })).toBe(0);
    expect(sampleOf(e, 'tandem_sessions', { target: T })).toBe(2);
    expect(sampleOf(e, 'tandem_replication_mode', { ...lun0, mode: 'auto' })).toBe(1);
    expect(sampleOf(e, 'tandem_replication_mode', { ...lun0, mode: 'delta' })).toBe(0);
    expect(sampleOf(e, 'tandem_replication_state', { ...lun0, state: 'delta' })).toBe(1);
    expect(sampleOf(e, 'tandem_replication_journal_used_bytes', lun0)).toBe(1024);
    expect(sampleOf(e, 'tandem_replication_journal_spilled_bytes', lun0)).toBe(512);
    expect(sampleOf(e, 'tandem_replication_journal_capacity_bytes', lun0)).toBe(4096);
    expect(sampleOf(e, 'tandem_replication_journal_entries', lun0)).toBe(3);
    expect(sampleOf(e, 'tandem_replication_journal_to_send_entries', lun0)).toBe(2);
    expect(sampleOf(e, 'tandem_replication_inflow_bytes_per_second', lun0)).toBe(1000);
    expect(sampleOf(e, 'tandem_replication_flush_bytes_per_second', lun0)).toBe(250);
    expect(sampleOf(e, 'tandem_replication_redundancy_ratio', lun0)).toBe(4.5);
    expect(sampleOf(e, 'tandem_replication_dirty_chunks', lun0)).toBe(7);
    expect(sampleOf(e, 'tandem_replication_dirty_bytes', lun0)).toBe(7 * 65536);
    expect(sampleOf(e, 'tandem_replication_recovery_point_age_seconds', lun0)).toBe(12.5);
    expect(sampleOf(e, 'tandem_replication_last_pass_bytes', lun0)).toBe(8 * 65536);
    expect(sampleOf(e, 'tandem_replication_last_pass_duration_seconds', lun0)).toBe(1.5);
    expect(sampleOf(e, 'tandem_replication_pass_failing', lun0)).toBe(0);
    expect(sampleOf(e, 'tandem_replication_link_up', lun0)).toBe(1);
    expect(sampleOf(e, 'tandem_replication_link_rtt_seconds', lun0)).toBe(0.0025);
    expect(sampleOf(e, 'tandem_replication_link_written_bytes_total', lun0)).toBe(123456);
    expect(sampleOf(e, 'tandem_replication_last_switch_timestamp_seconds', { ...lun0, reason: 'journal-redundant' })).toBe(1_700_000_000);
    expect(sampleOf(e, 'tandem_replication_threshold', { ...lun0, key: 'maxRedundancy' })).toBe(3);
    expect(e.types.get('tandem_replication_link_written_bytes_total')).toBe('counter');
    expect(e.types.get('tandem_replication_dirty_chunks')).toBe('gauge');
  });

  it('a LUN without a replica is only marked unreplicated; unknown figures are left out', () => {
    const e = parseExposition(renderMetrics({ status: status(replication({ lastPass: undefined, lastSwitch: undefined })) }));
    expect(sampleOf(e, 'tandem_lun_replicated', { lun: '1' })).toBe(0);
    expect(sampleOf(e, 'tandem_lun_replicated', { lun: '0' })).toBe(1);
    expect(e.samples.filter((s) => s.labels.lun === '1' && s.name.startsWith('tandem_replication_'))).toEqual([]);
    expect(e.samples.some((s) => s.name === 'tandem_replication_link_write_latency_seconds')).toBe(false);
    expect(e.samples.some((s) => s.name === 'tandem_replication_last_pass_bytes')).toBe(false);
    expect(e.types.has('tandem_replication_last_pass_bytes')).toBe(false);
  });

  it('marks a LUN whose passes keep failing', () => {
    const failing = replication({ passFailure: { at: 1_700_000_002_000, trigger: 'interval', error: 'write on replica failed: out of space' } });
    const e = parseExposition(renderMetrics({ status: status(failing) }));
    expect(sampleOf(e, 'tandem_replication_pass_failing', { target: T, lun: '0' })).toBe(1);
  });

  it('reports the server-wide connection and buffer-memory bounds and their use, when given', () => {
    const transport = { connections: 3, maxConnections: 256, refusedConnections: 2, bufferMemoryInUse: 4096, bufferMemoryBytes: 1024 ** 3 };
    const e = parseExposition(renderMetrics({ status: status(replication()), transport }));
    expect(sampleOf(e, 'tandem_connections', {})).toBe(3);
    expect(sampleOf(e, 'tandem_connections_max', {})).toBe(256);
    expect(sampleOf(e, 'tandem_connections_refused_total', {})).toBe(2);
    expect(e.types.get('tandem_connections_refused_total')).toBe('counter');
    expect(sampleOf(e, 'tandem_buffer_memory_used_bytes', {})).toBe(4096);
    expect(sampleOf(e, 'tandem_buffer_memory_bytes', {})).toBe(1024 ** 3);
    const without = parseExposition(renderMetrics({ status: status(replication()) }));
    expect(without.samples.some((x) => x.name.startsWith('tandem_connections'))).toBe(false);
  });
});
