/**
 * When `auto` leaves continuous mirroring for delta mode, and when it may come back.
 * Pure functions of the figures the engine samples, so they are tested table-driven.
 */

export interface SwitchThresholds {
  /** Smoothed ping round trip above this trips `rtt-high`. */
  maxRttMs: number;
  /** Smoothed durable remote-write latency above this trips `write-latency-high`. */
  maxWriteLatencyMs: number;
  /** Journal inflow minus flush rate (bytes/s) above this trips `journal-overflow-risk`. */
  maxNetInflowBytesPerSec: number;
  /** Journal fill fraction above this trips `journal-nearly-full`. */
  maxJournalFill: number;
  /** Continuous bytes / delta bytes above this trips `journal-redundant`. */
  maxRedundancy: number;
  /** Delta → continuous once the link has been healthy this long. */
  healthyForMs: number;
  /**
   * Delta mode runs a pass before its interval once host writes have stayed at or below
   * this rate (bytes/s) for lowTrafficForMs: copying while the hosts are quiet. 0: never.
   */
  lowTrafficBytesPerSec: number;
  lowTrafficForMs: number;
}

export const DEFAULT_THRESHOLDS: Readonly<SwitchThresholds> = Object.freeze({
  maxRttMs: 250,
  maxWriteLatencyMs: 1_000,
  maxNetInflowBytesPerSec: 64 * 1024 * 1024,
  maxJournalFill: 0.9,
  maxRedundancy: 3,
  healthyForMs: 10_000,
  lowTrafficBytesPerSec: 256 * 1024,
  lowTrafficForMs: 5_000,
});

export interface ReplicationFigures {
  linkUp: boolean;
  rttMs: number | undefined;
  writeLatencyMs: number | undefined;
  inflowBytesPerSec: number;
  flushBytesPerSec: number;
  journalFill: number;
  redundancy: number;
}

export type SwitchReason =
  | 'link-failed'
  | 'rtt-high'
  | 'write-latency-high'
  | 'journal-overflow-risk'
  | 'journal-nearly-full'
  | 'journal-full'
  | 'journal-redundant'
  /** The local image failed a host write: a pass copies what it holds in that range. */
  | 'local-write-failed'
  /** A resync marked chunks while mirroring continuously (the peer had changes of its own, e.g. its restart recovered its log's extents): a pass overwrites them. */
  | 'peer-changes'
  | 'admin';

/** Link criteria only: what even plain `continuous` mode reacts to. */
export function linkTrip(f: ReplicationFigures, t: SwitchThresholds): SwitchReason | undefined {
  if (!f.linkUp) return 'link-failed';
  if (f.rttMs !== undefined && f.rttMs > t.maxRttMs) return 'rtt-high';
  if (f.writeLatencyMs !== undefined && f.writeLatencyMs > t.maxWriteLatencyMs) return 'write-latency-high';
  return undefined;
}

/** The first criterion that trips in `auto` mode, in order of urgency. */
export function autoTrip(f: ReplicationFigures, t: SwitchThresholds): SwitchReason | undefined {
  const link = linkTrip(f, t);
  if (link) return link;
  if (f.journalFill > t.maxJournalFill) return 'journal-nearly-full';
  if (f.inflowBytesPerSec - f.flushBytesPerSec > t.maxNetInflowBytesPerSec) return 'journal-overflow-risk';
  if (f.redundancy > t.maxRedundancy) return 'journal-redundant';
  return undefined;
}

/** Whether the link counts as healthy for the return to continuous. */
export function linkHealthy(f: ReplicationFigures, t: SwitchThresholds): boolean {
  return linkTrip(f, t) === undefined;
}
