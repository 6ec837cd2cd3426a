/**
 * Binding a login to a session, once negotiation succeeded (RFC 7143 §6.3): a new session,
 * a reinstated session (same initiator port and target: the old one ends), or a reinstated
 * connection of a live session (same TSIH and CID). Also the admission under
 * `--max-connections` and the check of a non-zero TSIH before any negotiation. The
 * connection only learns the outcome: the session it now serves, or the refusal its final
 * login response carries.
 */
import type { SessionParams } from '../iscsi/session-params.js';
import type { Nexus } from '../scsi/types.js';
import type { Logger } from '../util/log.js';
import type { ConnectionContext } from './connection.js';
import type { SlotTicket } from './connection-slots.js';
import { sameIscsiName } from './iscsi-name.js';
import { LoginStatus, type Binding, type LoginIdentity } from './login-phase.js';
import type { LoginOutcome } from './login-types.js';
import { Session, type SessionConnection } from './session.js';

/** The connection being logged in, as the binding sees it. */
export interface BindingConnection extends SessionConnection {
  cid: number;
  /** The connection now serves `session`. */
  attach(session: Session): void;
  /** A failed binding when the connection closed while its login waited (undefined while open). */
  closedWhileBinding(): Binding | undefined;
}

export class SessionBinder {
  constructor(
    private readonly ctx: ConnectionContext,
    private readonly connection: BindingConnection,
    private readonly log: Logger,
    /** The connection's place under `--max-connections`: one over the limit is refused unless its initiator is exempt. */
    private readonly slot?: SlotTicket,
  ) {}

  /** Checks a non-zero TSIH on the first login request, before any negotiation. */
  precheck(id: LoginIdentity): Binding | undefined {
    this.connection.cid = id.cid;
    if (id.tsih === 0) return undefined;
    const existing = this.ctx.sessions.get(id.tsih);
    if (!existing || existing.ended || !existing.isid || existing.isid !== id.isid.toString('hex')) {
      return noSession(id.tsih);
    }
    return undefined;
  }

  /**
   * Binds the connection to a session (a new one, or the one it reinstates a connection of).
   * A write the initiator's lost session or connection left running lands before any of
   * the new one runs (RFC 7143 §6.3.4-5 terminate those tasks; one already handed to the
   * device finishes); otherwise a write the initiator gave up on (a replicating primary that
   * timed it out and moved on) could land after, and over, what it wrote since. A new
   * session is bound at once and its commands to an LU wait for the ended sessions' tasks
   * there (Session.heldLun), so an LU stuck in its store holds back only itself; a
   * reinstated connection (same session, same task table) is answered once its old tasks
   * have settled.
   */
  bind(outcome: LoginOutcome, id: LoginIdentity, cmdSN: number): Binding | Promise<Binding> {
    const isid = id.isid.toString('hex');
    if (this.slot?.overLimit) {
      if (!this.ctx.exemptFromConnectionLimit?.(outcome.initiatorName) && !this.replacesLiveConnection(outcome, id, isid)) {
        return refusal(LoginStatus.OUT_OF_RESOURCES, `out of resources: ${this.ctx.maxConnections ?? '?'} connections open (max-connections)`);
      }
      this.slot.admit();
    }
    const targetEntry = outcome.target ? this.ctx.targets.find(outcome.target.iqn) : undefined;
    if (outcome.sessionType === 'Normal' && !targetEntry) {
      return refusal(LoginStatus.TARGET_NOT_FOUND, 'target vanished');
    }
    if (id.tsih !== 0) return this.reinstateConnection(outcome, id, isid, cmdSN);
    if (outcome.sessionType === 'Normal') {
      // Session reinstatement (§6.3.5): same initiator port and target replaces the old session.
      const old = this.ctx.sessions.findByInitiatorPort(outcome.initiatorName, isid, outcome.target!.iqn);
      if (old) {
        this.log.info({ initiator: outcome.initiatorName, isid, oldTsih: old.tsih }, 'session reinstatement: closing the old session');
        old.end('session reinstated');
      }
    }
    const tsih = this.ctx.sessions.allocateTsih();
    const tpgt = this.ctx.portalGroupTag;
    const nexus: Nexus | undefined = targetEntry
      ? {
          id: `${outcome.initiatorName},i,0x${isid}|${targetEntry.config.iqn},t,0x${tpgt.toString(16).padStart(4, '0')}`,
          initiatorName: outcome.initiatorName,
          isid,
          targetName: targetEntry.config.iqn,
          tpgt,
          relativePortId: tpgt,
        }
      : undefined;
    const lunHolds = outcome.sessionType === 'Normal' ? this.ctx.sessions.holdsFor(outcome.initiatorName, outcome.target!.iqn) : undefined;
    const session = new Session({
      tsih,
      kind: outcome.sessionType,
      initiatorName: outcome.initiatorName,
      isid,
      target: targetEntry?.config,
      scsi: targetEntry?.scsi,
      nexus,
      params: outcome.params,
      expCmdSN: cmdSN,
      queueDepth: this.ctx.limits.queueDepth,
      ...(outcome.initiatorAlias !== undefined ? { initiatorAlias: outcome.initiatorAlias } : {}),
      authentication: outcome.authentication,
      ...(lunHolds ? { lunHolds } : {}),
    });
    session.connection = this.connection;
    const sessionLog = this.log.child({ tsih });
    session.onEnd((s) => sessionLog.info({ initiator: s.initiatorName }, 'session ended'));
    if (lunHolds) {
      // Says why this initiator's commands to those LUs wait (a task stuck in a store shows here).
      this.log.warn({ initiator: outcome.initiatorName, luns: [...lunHolds.keys()] }, 'commands to these LUs wait for tasks an ended session of this initiator left running');
    }
    this.ctx.sessions.add(session);
    this.connection.attach(session);
    if (nexus) targetEntry!.scsi.nexusSeen(nexus);
    return { ok: true, tsih };
  }

  /** Connection reinstatement (§6.3.4) in an existing session: the same CID replaces the old connection. */
  private reinstateConnection(outcome: LoginOutcome, id: LoginIdentity, isid: string, cmdSN: number): Binding | Promise<Binding> {
    const s = this.ctx.sessions.get(id.tsih);
    if (!s || s.ended || s.isid !== isid || !sameIscsiName(s.initiatorName, outcome.initiatorName) || s.target?.iqn !== outcome.target?.iqn) {
      return noSession(id.tsih);
    }
    if (s.connection && s.connection.cid !== id.cid) {
      return refusal(LoginStatus.TOO_MANY_CONNECTIONS, 'MaxConnections=1');
    }
    const old = s.connection;
    s.connection = undefined;
    old?.drop('connection reinstated');
    // ERL0: the old connection's tasks are terminated, and settle before the new one takes commands.
    return s.abortTasks().then(() => {
      const closed = this.connection.closedWhileBinding();
      // Time2Retain is 0: a session left without a connection ends.
      if (closed && !s.connection) s.end('connection closed during reinstatement');
      const gone = closed ?? (s.ended || s.connection ? noSession(id.tsih) : undefined);
      if (gone) return gone;
      s.window.reset(cmdSN);
      s.params = { ...s.params, ...connectionParams(outcome.params) };
      s.connection = this.connection;
      this.connection.attach(s);
      return { ok: true, tsih: s.tsih };
    });
  }

  /**
   * Whether this login reinstates a connection or session that still holds a connection (a
   * host that lost its link logs in again before the target has seen the old one die): it
   * takes that connection's place, which it closes, so it is let in over --max-connections
   * — otherwise a server at the limit would refuse the host until the dead link timed out.
   */
  private replacesLiveConnection(outcome: LoginOutcome, id: LoginIdentity, isid: string): boolean {
    if (id.tsih !== 0) {
      const s = this.ctx.sessions.get(id.tsih);
      return !!s && !s.ended && s.isid === isid && sameIscsiName(s.initiatorName, outcome.initiatorName) && s.connection?.cid === id.cid;
    }
    if (outcome.sessionType !== 'Normal' || !outcome.target) return false;
    return !!this.ctx.sessions.findByInitiatorPort(outcome.initiatorName, isid, outcome.target.iqn)?.connection;
  }
}

/**
 * What a reinstated connection negotiates for itself. The rest are leading-only keys (RFC
 * 7143 §13 "LO"), settled by the session's first login: an initiator does not offer them
 * again, and the defaults the new login leaves for them are not the values in use.
 */
function connectionParams(p: SessionParams): Partial<SessionParams> {
  return {
    headerDigest: p.headerDigest,
    dataDigest: p.dataDigest,
    maxSendDataSegmentLength: p.maxSendDataSegmentLength,
    maxRecvDataSegmentLength: p.maxRecvDataSegmentLength,
  };
}

function noSession(tsih: number): Binding {
  return refusal(LoginStatus.SESSION_DOES_NOT_EXIST, `no session with TSIH ${tsih}`);
}

/** A failed binding: the login's final response carries `status` (class, detail). */
export function refusal(status: readonly [number, number], reason: string): Binding {
  return { ok: false, statusClass: status[0], statusDetail: status[1], reason };
}
