/**
 * The server's status as Prometheus text exposition (format 0.0.4): per-LUN replication
 * gauges and counters, labelled {target, lun}, plus target basics. Pure: the HTTP endpoint
 * (control/metrics-endpoint.ts) calls it on every scrape with a fresh status.
 */
import type { AnyServerStatus } from './control/handler.js';
import { heldRoles } from './control/held-roles.js';
import type { ReplicationMode, ReplicationState } from './status.js';

export interface TargetSessions {
  target: string;
  sessions: number;
}

/** The iSCSI server's server-wide bounds and what is taken of them (IscsiServer.resourceUse). */
export interface TransportUse {
  connections: number;
  maxConnections: number;
  /** Connections refused (answered "out of resources" or closed unread) since the server started. */
  refusedConnections: number;
  bufferMemoryInUse: number;
  bufferMemoryBytes: number;
}

/** What one LU served since the server started (scsi/io-counters.ts), by command kind. */
export interface LunIo {
  target: string;
  lun: number;
  commands: Readonly<Record<'read' | 'write' | 'other', number>>;
  busyMs: Readonly<Record<'read' | 'write' | 'other', number>>;
  readBytes: number;
  writeBytes: number;
  failed: number;
  refused: number;
}

export interface MetricsSnapshot {
  status: AnyServerStatus;
  /** Every LU's I/O figures, replicated or not. */
  io?: readonly LunIo[];
  /** Live iSCSI sessions per target, when the server can count them. */
  sessions?: readonly TargetSessions[];
  transport?: TransportUse;
}

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels: Labels; value: number }>;
}

const MODES: readonly ReplicationMode[] = ['continuous', 'delta', 'auto'];
const STATES: readonly ReplicationState[] = ['continuous', 'delta', 'catching-up', 'backup', 'stale', 'split-brain'];
const ROLES = ['primary', 'backup'] as const;

/** Backslash, double quote and newline are the only escapes a label value needs. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class Families {
  private readonly byName = new Map<string, Family>();

  add(name: string, type: Family['type'], help: string, labels: Labels, value: number | undefined): void {
    let family = this.byName.get(name);
    if (!family) {
      family = { name, help, type, samples: [] };
      this.byName.set(name, family);
    }
    // Unknown figures (no RTT sample yet, no pass yet) are left out rather than reported as 0.
    if (value !== undefined) family.samples.push({ labels, value });
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.byName.values()) {
      if (f.samples.length === 0) continue;
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples) out.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
    return `${out.join('\n')}\n`;
  }
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const { status } = snapshot;
  const m = new Families();
  const held = heldRoles(status);
  for (const role of ROLES) m.add('tandem_role', 'gauge', "Replication roles this server's LUNs hold now (1 for each held)", { role }, held.includes(role) ? 1 : 0);
  for (const s of snapshot.sessions ?? []) m.add('tandem_sessions', 'gauge', 'Live iSCSI sessions per target', { target: s.target }, s.sessions);
  const t = snapshot.transport;
  if (t) {
    m.add('tandem_connections', 'gauge', 'iSCSI connections held, all portals together', {}, t.connections);
    m.add('tandem_connections_max', 'gauge', 'Connections held at once before new ones are refused (--max-connections)', {}, t.maxConnections);
    m.add('tandem_connections_refused_total', 'counter', 'Connections refused over --max-connections since the server started', {}, t.refusedConnections);
    m.add('tandem_buffer_memory_used_bytes', 'gauge', 'Write and read buffer bytes all connections hold', {}, t.bufferMemoryInUse);
    m.add('tandem_buffer_memory_bytes', 'gauge', 'Write and read buffer bytes all connections may hold together (--buffer-memory)', {}, t.bufferMemoryBytes);
  }
  for (const io of snapshot.io ?? []) {
    const lun = { target: io.target, lun: String(io.lun) };
    for (const kind of ['read', 'write', 'other'] as const) {
      m.add('tandem_lun_commands_total', 'counter', 'SCSI commands the LUN ran, by kind (read, write: any that changes the medium, other)', { ...lun, kind }, io.commands[kind]);
      m.add('tandem_lun_command_seconds_total', 'counter', 'Time commands ran, from start to result, by kind (divided by tandem_lun_commands_total: average latency)', { ...lun, kind }, io.busyMs[kind] / 1000);
    }
    m.add('tandem_lun_read_bytes_total', 'counter', 'Data-In bytes of the reads that succeeded', lun, io.readBytes);
    m.add('tandem_lun_write_bytes_total', 'counter', 'Data-Out bytes of the writes that succeeded', lun, io.writeBytes);
    m.add('tandem_lun_failed_commands_total', 'counter', 'Commands that ran and ended in an error status (CHECK CONDITION and the like)', lun, io.failed);
    m.add('tandem_lun_refused_commands_total', 'counter', 'Commands answered without running: unit attention, ALUA state, reservation conflict, write protection, a bad CDB', lun, io.refused);
  }
  for (const l of status.luns) {
    const lun = { target: l.target, lun: String(l.lun) };
    const r = l.replication;
    m.add('tandem_lun_replicated', 'gauge', 'Whether the LUN is mirrored onto a replica', lun, r ? 1 : 0);
    if (!r) continue;
    const f = r.figures;
    for (const mode of MODES) m.add('tandem_replication_mode', 'gauge', 'Configured replication mode (1 for the active one)', { ...lun, mode }, r.mode === mode ? 1 : 0);
    for (const state of STATES) m.add('tandem_replication_state', 'gauge', 'Current replication state (1 for the active one)', { ...lun, state }, r.state === state ? 1 : 0);
    for (const role of ROLES) m.add('tandem_replication_role', 'gauge', 'Role this node holds for the LUN (1 for the active one)', { ...lun, role }, r.role === role ? 1 : 0);
    m.add('tandem_replication_split_brain', 'gauge', '1 while this node and its peer both changed since their common generation', lun, r.splitBrain ? 1 : 0);
    m.add('tandem_replication_resync_bytes_left', 'gauge', 'Bytes this primary still marks for its peer\'s resynchronisation (0: none running)', lun, r.resync?.bytesLeft ?? 0);
    m.add('tandem_replication_sync', 'gauge', '1 when continuous mirroring is synchronous, 0 when asynchronous', lun, r.flavour === 'sync' ? 1 : 0);
    m.add('tandem_replication_paused', 'gauge', '1 while replication is paused by the admin', lun, r.paused ? 1 : 0);
    m.add('tandem_replication_journal_used_bytes', 'gauge', 'Bytes of the changes in the send queue: to send, or sent and awaiting confirmation', lun, r.journal.usedBytes);
    m.add('tandem_replication_journal_spilled_bytes', 'gauge', 'Bytes of the send queue in the staging journal file', lun, r.journal.spilledBytes);
    m.add('tandem_replication_journal_capacity_bytes', 'gauge', 'Configured staging journal capacity', lun, r.journal.capacity);
    m.add('tandem_replication_journal_entries', 'gauge', 'Changes in the send queue: to send, or sent and awaiting confirmation', lun, r.journal.entries);
    m.add('tandem_replication_journal_to_send_entries', 'gauge', 'Changes in the send queue not yet sent to the backup', lun, r.journal.toSend);
    m.add('tandem_replication_journal_fill_ratio', 'gauge', 'Journal fill fraction (0-1)', lun, f.journalFill);
    m.add('tandem_replication_inflow_bytes_per_second', 'gauge', 'Journal inflow rate', lun, f.inflowBytesPerSec);
    m.add('tandem_replication_flush_bytes_per_second', 'gauge', 'Journal flush rate to the backup', lun, f.flushBytesPerSec);
    m.add('tandem_replication_redundancy_ratio', 'gauge', 'Bytes continuous mirroring would send / bytes one delta pass would send', lun, f.redundancy);
    m.add('tandem_replication_dirty_chunks', 'gauge', 'Chunks marked in the delta table', lun, r.dirtyChunks);
    m.add('tandem_replication_dirty_bytes', 'gauge', 'Bytes of the chunks marked in the delta table', lun, r.dirtyBytes);
    m.add('tandem_replication_recovery_point_age_seconds', 'gauge', 'Age of the oldest write not yet durable on the backup', lun, r.recoveryPointAgeMs / 1000);
    m.add('tandem_replication_link_up', 'gauge', '1 when the last operation on the replica link succeeded', lun, f.linkUp ? 1 : 0);
    m.add('tandem_replication_link_rtt_seconds', 'gauge', 'Smoothed round trip to the replica', lun, seconds(f.rttMs));
    m.add('tandem_replication_link_write_latency_seconds', 'gauge', 'Smoothed durable write latency on the replica', lun, seconds(f.writeLatencyMs));
    m.add('tandem_replication_link_written_bytes_total', 'counter', 'Payload bytes written to the replica since the link opened', lun, r.link.bytesWritten);
    m.add('tandem_replication_last_pass_bytes', 'gauge', 'Bytes sent by the last delta pass', lun, r.lastPass?.bytesSent);
    m.add('tandem_replication_last_pass_chunks', 'gauge', 'Chunks sent by the last delta pass', lun, r.lastPass?.sentChunks);
    m.add('tandem_replication_last_pass_duration_seconds', 'gauge', 'Duration of the last delta pass', lun, seconds(r.lastPass?.durationMs));
    m.add('tandem_replication_last_pass_timestamp_seconds', 'gauge', 'When the last delta pass ended (Unix time)', lun, seconds(r.lastPass?.at));
    m.add('tandem_replication_pass_failing', 'gauge', '1 when the delta passes since the last complete one failed (the reason is in status)', lun, r.passFailure ? 1 : 0);
    if (r.lastSwitch) {
      const sw = { ...lun, from: r.lastSwitch.from, to: r.lastSwitch.to, reason: r.lastSwitch.reason };
      m.add('tandem_replication_last_switch_timestamp_seconds', 'gauge', 'When the last mode switch happened (Unix time), with its reason', sw, r.lastSwitch.at / 1000);
    }
    for (const [key, value] of Object.entries(r.thresholds)) m.add('tandem_replication_threshold', 'gauge', 'Switching thresholds in force', { ...lun, key }, value);
    m.add('tandem_replication_threshold', 'gauge', 'Switching thresholds in force', { ...lun, key: 'deltaIntervalMs' }, r.deltaIntervalMs);
  }
  return m.render();
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
