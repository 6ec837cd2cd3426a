/**
 * `tandem sessions [--json] [--target IQN]`: the iSCSI sessions logged in to the running
 * server (tgtadm's `--op show`, targetcli's `sessions`), one block per session, or one JSON
 * object. Exit 0 with an empty list when nobody is logged in.
 */
import type { SessionSummary } from '../../target/session-summary.js';
import { callControl, processIo, type AdminIo } from './call.js';
import { ago } from './format-status.js';

export interface SessionsOptions {
  control: string;
  json: boolean;
  /** Only the sessions of this target (compared case-insensitively, as iSCSI names are). */
  target?: string;
}

interface SessionsResult {
  now: number;
  sessions: SessionSummary[];
}

export async function sessionsCommand(options: SessionsOptions, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'sessions' }, io);
  if (!outcome.ok) return outcome.exitCode;
  const all = outcome.result as SessionsResult;
  const wanted = options.target?.toLowerCase();
  const sessions = wanted === undefined ? all.sessions : all.sessions.filter((s) => s.target?.toLowerCase() === wanted);
  io.out(options.json ? `${JSON.stringify({ now: all.now, sessions })}\n` : formatSessions(sessions, all.now));
  return 0;
}

export function formatSessions(sessions: readonly SessionSummary[], now: number): string {
  const lines = [`${sessions.length} session${sessions.length === 1 ? '' : 's'}`];
  for (const s of sessions) {
    const alias = `${s.initiatorAlias ? ` "${s.initiatorAlias}"` : ''}${s.replicator ? ' (the pair\'s replicator)' : ''}`;
    lines.push(
      '',
      `${s.target ?? '(discovery)'}  <-  ${s.initiator}${alias}  (isid ${s.isid}, tsih ${s.tsih})`,
      `  from     ${s.peer ?? '(no connection now)'}${s.portal ? ` to portal ${s.portal}` : ''}`,
      `  since    ${new Date(s.since).toISOString()} (${ago(s.since, now)})`,
      `  auth     ${s.authentication}`,
      `  digests  header ${s.headerDigest ? 'CRC32C' : 'none'}, data ${s.dataDigest ? 'CRC32C' : 'none'}`,
      `  limits   MaxBurstLength ${s.maxBurstLength}, MaxRecvDataSegmentLength ${s.maxRecvDataSegmentLength}`,
      `  running  ${s.tasks} command${s.tasks === 1 ? '' : 's'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
