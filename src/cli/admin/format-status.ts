/** `tandem status` as a human-readable table: one block of key/value rows per LUN. */
import type { ServerStatus } from '../../replication/control/handler.js';

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function ms(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1000) return `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  if (n < 120_000) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.round(n / 60_000)} min`;
}

function ago(at: number, now: number): string {
  return `${ms(Math.max(0, now - at))} ago`;
}

export function formatStatus(status: ServerStatus): string {
  const lines: string[] = [`role          ${status.role}   (replicator ${status.replicatorIqn})`];
  for (const l of status.luns) {
    lines.push('', `LUN ${l.target}/${l.lun}   ${l.path}`);
    const r = l.replication;
    if (!r) {
      lines.push(status.role === 'backup' ? '  read-only to initiators other than the replicator' : '  not replicated');
      continue;
    }
    const f = r.figures;
    const rows: Array<[string, string]> = [
      ['replica', l.replica ?? '-'],
      ['mode', `${r.mode} (${r.flavour})${r.paused ? ', PAUSED' : ''}`],
      ['state', r.state],
      ['last switch', r.lastSwitch ? `${r.lastSwitch.from} -> ${r.lastSwitch.to}: ${r.lastSwitch.reason}, ${ago(r.lastSwitch.at, status.now)}` : '-'],
      ['link', `${f.linkUp ? 'up' : 'DOWN'}, rtt ${ms(f.rttMs)}, write latency ${ms(f.writeLatencyMs)}${r.link.lastError && !f.linkUp ? ` (${r.link.lastError})` : ''}`],
      ['journal', `${(f.journalFill * 100).toFixed(1)}% of ${bytes(r.journal.capacity)} (${r.journal.entries} entries)`],
      ['rates', `inflow ${bytes(f.inflowBytesPerSec)}/s, flush ${bytes(f.flushBytesPerSec)}/s`],
      ['redundancy', f.redundancy.toFixed(2)],
      ['dirty', `${r.dirtyChunks} chunks, ${bytes(r.dirtyBytes)}`],
      ['last pass', r.lastPass ? `${ago(r.lastPass.at, status.now)}: ${bytes(r.lastPass.bytesSent)} in ${ms(r.lastPass.durationMs)} (${r.lastPass.sentChunks}/${r.lastPass.chunks} chunks${r.lastPass.staged ? ', staged' : ''})` : '-'],
      ['recovery pt', r.recoveryPointAgeMs === 0 ? 'current' : `${ms(r.recoveryPointAgeMs)} behind`],
      ['volume', `${r.identity.volumeId} gen ${r.identity.generation}${r.identity.replicaSynced ? '' : ' (first sync pending)'}`],
    ];
    // Only worth a row when something is wrong: the replica not checked yet, or refused.
    if (r.binding && r.binding.state !== 'bound') rows.splice(1, 0, ['binding', `${r.binding.state.toUpperCase()}${r.binding.error ? `: ${r.binding.error}` : ''}`]);

    for (const [k, v] of rows) lines.push(`  ${k.padEnd(12)}${v}`);
  }
  return `${lines.join('\n')}\n`;
}
