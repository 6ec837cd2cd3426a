/** `tandem status` as a human-readable table: one block of key/value rows per LUN. */
import type { AnyServerStatus, ServerStatus } from '../../replication/control/handler.js';
import { heldRoles } from '../../replication/control/held-roles.js';
import { formatBytes as bytes } from '../verify/progress.js';

function ms(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1000) return `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  if (n < 120_000) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.round(n / 60_000)} min`;
}

/** How long ago `at` was, as every admin table shows it. */
export function ago(at: number, now: number): string {
  return `${ms(Math.max(0, now - at))} ago`;
}

/** Labels' width: the longest ("newest write") and a space. */
const LABEL = 13;

export function formatStatus(status: AnyServerStatus): string {
  const role = status.role === undefined ? 'none (started without --role: nothing is replicated)' : `${serverRole({ ...status, role: status.role })}   (replicator ${status.replicatorIqn})`;
  const lines: string[] = [`${'role'.padEnd(LABEL + 2)}${role}`];
  for (const l of status.luns) {
    lines.push('', `LUN ${l.target}/${l.lun}   ${l.path}`);
    const r = l.replication;
    if (!r) {
      lines.push(status.role === 'backup' ? '  read-only to initiators other than the replicator' : '  not replicated');
      continue;
    }
    const rows = r.role === 'backup' ? backupRows(l, r, status.now) : primaryRows(l, r, status.now);
    for (const [k, v] of rows) lines.push(`  ${k.padEnd(LABEL)}${v}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The role the LUNs hold now (a promote or demote changes it), and the one the server started with when that differs. */
function serverRole(status: ServerStatus): string {
  const held = heldRoles(status);
  if (held.length === 1 && held[0] === status.role) return status.role;
  return `${held.length === 1 ? held[0]! : 'mixed (per LUN below)'}, started as ${status.role}`;
}

type Rows = Array<[string, string]>;
type Lun = ServerStatus['luns'][number];
type Replication = NonNullable<Lun['replication']>;

function primaryRows(l: Lun, r: Replication, now: number): Rows {
  const f = r.figures;
  const rows: Rows = [
    ['role', `primary${r.state === 'stale' ? ' (STALE: the peer is ahead; run `tandem demote` here)' : ''}`],
    ['peer', peerText(l, r, now)],
    ['alua', aluaText(r)],
    ['mode', `${r.mode} (${r.flavour})${r.paused ? ', PAUSED' : ''}`],
    ['state', r.state],
    ['last switch', r.lastSwitch ? `${r.lastSwitch.from} -> ${r.lastSwitch.to}: ${r.lastSwitch.reason}${r.lastSwitch.detail ? ` (${r.lastSwitch.detail})` : ''}, ${ago(r.lastSwitch.at, now)}` : '-'],
    ['link', linkText(r)],
    ['journal', `${(f.journalFill * 100).toFixed(1)}% of ${bytes(r.journal.capacity)} (${r.journal.toSend} to send, ${r.journal.entries - r.journal.toSend} sent awaiting confirmation)`],
    ['rates', `inflow ${bytes(f.inflowBytesPerSec)}/s, flush ${bytes(f.flushBytesPerSec)}/s`],
    ['redundancy', f.redundancy.toFixed(2)],
    ['dirty', `${r.dirtyChunks} chunks, ${bytes(r.dirtyBytes)}`],
    ['last pass', r.lastPass ? `${ago(r.lastPass.at, now)}: ${bytes(r.lastPass.bytesSent)} in ${ms(r.lastPass.durationMs)} (${r.lastPass.sentChunks}/${r.lastPass.chunks} chunks${r.lastPass.staged ? ', staged' : ''})` : '-'],
    ['recovery pt', r.recoveryPointAgeMs === 0 ? 'current' : `${ms(r.recoveryPointAgeMs)} behind`],
    ['points', pointsText(r, now)],
    ['generations', generationsText(r)],
    ['volume', `${r.identity.volumeId} gen ${r.identity.generation}${r.identity.replicaSynced ? '' : ' (first sync pending)'}`],
  ];
  if (r.passFailure) rows.splice(rows.findIndex(([k]) => k === 'last pass') + 1, 0, ['pass failed', `${ago(r.passFailure.at, now)} (${r.passFailure.trigger}), retried: ${r.passFailure.error}`]);
  if (r.resync) rows.splice(4, 0, ['resync', `${bytes(r.resync.bytesLeft)} left, ${bytes(r.resync.bytesSent)} sent, ETA ${r.resync.etaSeconds === undefined ? '-' : ms(r.resync.etaSeconds * 1000)} (${r.resync.why})`]);
  if (r.splitBrain) rows.splice(4, 0, ['SPLIT BRAIN', splitBrainText(r.splitBrain)]);
  // Only worth a row when something is wrong: the replica not checked yet, refused, stale...
  if (r.binding && r.binding.state !== 'bound') rows.splice(2, 0, ['binding', `${r.binding.state.toUpperCase()}${r.binding.error ? `: ${r.binding.error}` : ''}`]);
  return rows;
}

function pointsText(r: Replication, now: number): string {
  const p = r.points;
  if (!p) return 'none kept';
  const newest = p.newest ? `newest ${p.newest.id} (${p.newest.origin}${p.newest.label ? ` "${p.newest.label}"` : ''}, ${ago(p.newest.at, now)})` : 'none held';
  return `${p.held} held, ${newest}; last id ${p.lastId}`;
}

function backupRows(l: Lun, r: Replication, now: number): Rows {
  const rows: Rows = [
    ['role', 'backup (hosts\' media access refused through its standby port; only the replicator writes)'],
    ['peer', peerText(l, r, now)],
    ['alua', aluaText(r)],
    ['mode', `${r.mode} (${r.flavour}) once promoted`],
    ['newest write', r.newestWriteAt !== undefined ? `${new Date(r.newestWriteAt).toISOString()} (${ago(r.newestWriteAt, now)})` : '-'],
    ['points', pointsText(r, now)],
    ['generations', generationsText(r)],
    ['dirty', `${r.dirtyChunks} chunks, ${bytes(r.dirtyBytes)} (own changes the peer will overwrite)`],
    ['volume', `${r.identity.volumeId} gen ${r.identity.generation}`],
  ];
  if (r.handingOver) {
    rows.splice(2, 0, ['handing over', 'a switchover made this node a backup and the peer has not confirmed taking over: asked again every tick (`tandem promote` there does it now)']);
  }
  if (r.resyncTarget) {
    const left = r.peer?.resyncBytesLeft;
    rows.splice(2, 0, ['resync', `being resynchronised from the peer${left !== undefined ? `, ${bytes(left)} left` : ''} (unfinished: a plain promote is refused)`]);
  }
  return rows;
}

/** A peer that answers but refuses (its disk full, say) is not a link down: the fix is on the peer, not the network. */
function linkText(r: Replication): string {
  const f = r.figures;
  const failing = !f.linkUp && r.link.answering === true;
  const state = f.linkUp ? 'up' : failing ? 'up, replica FAILING' : 'DOWN';
  return `${state}, rtt ${ms(f.rttMs)}, write latency ${ms(f.writeLatencyMs)}${r.link.lastError && !f.linkUp ? ` (${r.link.lastError})` : ''}`;
}

/** This node's ALUA port group and the peer's, as REPORT TARGET PORT GROUPS shows them. */
function aluaText(r: Replication): string {
  const { local, peer } = r.alua;
  return `group ${local.group} ${local.state}${peer ? `; peer group ${peer.group} ${peer.state}` : ''}`;
}

function peerText(l: Lun, r: Replication, now: number): string {
  const where = l.replica ?? 'no --peer';
  const p = r.peer;
  if (!p) return `${where}: not seen yet`;
  if (!p.reachable && !p.role) return `${where}: unreachable (${p.error ?? 'no answer'})`;
  const flags = [p.stale && 'stale', p.splitBrain && 'split brain', p.resyncing && 'resyncing'].filter(Boolean).join(', ');
  const seen = p.reachable ? '' : `, unreachable since ${p.seenAt !== undefined ? ago(p.seenAt, now) : '?'}`;
  return `${where}: ${p.role ?? '?'}${flags ? ` (${flags})` : ''}, generation ${p.generations?.current || '-'}${seen}`;
}

function generationsText(r: Replication): string {
  const g = r.generations;
  return `current ${g.current || '-'}, bitmap ${g.bitmap || '-'}${g.history.length ? `, history ${g.history.join(' ')}` : ''}`;
}

function splitBrainText(sb: NonNullable<Replication['splitBrain']>): string {
  return `both changed since ${sb.common}: here ${bytes(sb.localChangedBytes)}, peer ${bytes(sb.peerChangedBytes)}; policy ${sb.policy}. Run \`tandem resolve --discard-local\` on the node whose changes go`;
}
