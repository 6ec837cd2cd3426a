/**
 * The login phase from the initiator's side (RFC 7143 §6.3): security stage with CHAP
 * or None, then operational negotiation, ending in full feature phase.
 */
import { decodeTargetPdu, type TargetPdu } from '../iscsi/pdu/decode.js';
import { encodeLoginRequest } from '../iscsi/pdu/login.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import type { ChapCredentials } from '../iscsi/chap.js';
import type { SessionParams } from '../iscsi/session-params.js';
import { NegotiationError } from '../iscsi/negotiation.js';
import { TextKeyError, encodeTextKeys, parseTextKeys, type TextPair } from '../iscsi/text-keys.js';
import { moduleLogger } from '../util/log.js';
import { CHAP_OFFER, ChapClient } from './chap-client.js';
import { IscsiConnectionError, IscsiLoginError, IscsiLoginRedirectError } from './errors.js';
import { OfferTracker, buildOffer, type DigestPreference, type InitiatorLimits } from './operational-keys.js';
import { PduWaiter } from './pdu-waiter.js';
import { SendTargetsFormatError, parseTargetAddress } from './send-targets.js';
import { PduTransport, type FramedPdu } from './transport.js';

const log = moduleLogger('initiator');

const SECURITY = 0;
const OPERATIONAL = 1;
const FULL_FEATURE = 3;
/** Bound on text data accumulated across Continue responses. */
const MAX_LOGIN_TEXT_BYTES = 64 * 1024;
/** A target that keeps negotiating past this many rounds is not converging. */
const MAX_LOGIN_ROUNDS = 16;
/** Login redirects one connectAndLogin follows: targets redirecting to each other end there. */
export const MAX_LOGIN_REDIRECTS = 5;

export interface LoginParameters {
  initiatorName: string;
  initiatorAlias?: string;
  /** Absent for discovery sessions. */
  targetName?: string;
  sessionType: 'Normal' | 'Discovery';
  /** 6 bytes. */
  isid: Buffer;
  tsih?: number;
  cid?: number;
  chap?: ChapCredentials;
  mutualChap?: ChapCredentials;
  limits: InitiatorLimits;
  digests: DigestPreference;
  timeoutMs: number;
}

export interface LoginResult {
  params: SessionParams;
  tsih: number;
  /** CmdSN for the first command in full feature phase. */
  cmdSN: number;
  expStatSN: number;
  maxCmdSN: number;
  targetAlias?: string;
  portalGroupTag?: number;
}

const STATUS_TEXT: Record<number, string> = {
  0x0101: 'target moved temporarily',
  0x0102: 'target moved permanently',
  0x0200: 'initiator error',
  0x0201: 'authentication failure',
  0x0202: 'authorization failure',
  0x0203: 'target not found',
  0x0204: 'target removed',
  0x0205: 'unsupported version',
  0x0206: 'too many connections',
  0x0207: 'missing parameter',
  0x0208: 'cannot include in session',
  0x0209: 'session type not supported',
  0x020a: 'session does not exist',
  0x020b: 'invalid request during login',
  0x0300: 'target error',
  0x0301: 'service unavailable',
  0x0302: 'out of resources',
};

export function describeLoginStatus(statusClass: number, statusDetail: number): string {
  const code = (statusClass << 8) | statusDetail;
  return STATUS_TEXT[code] ?? `status 0x${code.toString(16).padStart(4, '0')}`;
}

interface Step {
  csg: number;
  nsg: number;
  transit: boolean;
  keys: TextPair[];
}

/** Login text accumulated across Continue responses. */
interface LoginText {
  parts: Buffer[];
  bytes: number;
}

interface Reply {
  csg: number;
  nsg: number;
  transit: boolean;
  keys: Map<string, string>;
  pairs: TextPair[];
}

class LoginExchange {
  private readonly waiter: PduWaiter;
  private readonly deadline: number;
  private readonly itt = 0;
  private readonly cmdSN = 1;
  private expStatSN = 0;
  private tsih: number;
  private lastMaxCmdSN = 1;
  private lastExpCmdSN = 1;
  private rounds = 0;

  constructor(
    private readonly transport: PduTransport,
    private readonly p: LoginParameters,
  ) {
    this.waiter = new PduWaiter(transport);
    this.deadline = Date.now() + p.timeoutMs;
    this.tsih = p.tsih ?? 0;
  }

  async run(): Promise<LoginResult> {
    const tracker = new OfferTracker(this.p.sessionType, this.p.limits, this.p.digests);
    const reply = await this.security();
    if (reply.nsg === FULL_FEATURE) throw this.protocol('target skipped operational negotiation without being asked');
    const params = await this.operational(tracker);
    return {
      params,
      tsih: this.tsih,
      cmdSN: this.lastExpCmdSN,
      expStatSN: this.expStatSN,
      maxCmdSN: this.lastMaxCmdSN,
      ...(tracker.targetInfo.alias === undefined ? {} : { targetAlias: tracker.targetInfo.alias }),
      ...(tracker.targetInfo.portalGroupTag === undefined ? {} : { portalGroupTag: tracker.targetInfo.portalGroupTag }),
    };
  }

  private identityKeys(): TextPair[] {
    const keys: TextPair[] = [{ key: 'InitiatorName', value: this.p.initiatorName }];
    if (this.p.initiatorAlias) keys.push({ key: 'InitiatorAlias', value: this.p.initiatorAlias });
    keys.push({ key: 'SessionType', value: this.p.sessionType });
    if (this.p.sessionType === 'Normal') {
      if (!this.p.targetName) throw new IscsiLoginError('a normal session needs a target name', 0, 0);
      keys.push({ key: 'TargetName', value: this.p.targetName });
    }
    return keys;
  }

  /** Security stage; returns the reply that moved us to the operational stage. */
  private async security(): Promise<Reply> {
    const { chap, mutualChap } = this.p;
    if (mutualChap && !chap) throw new IscsiLoginError('mutual CHAP needs one-way CHAP credentials too', 0, 0);
    const authMethod = !chap ? 'None' : mutualChap ? 'CHAP' : 'CHAP,None';
    let reply = await this.exchange({
      csg: SECURITY,
      nsg: OPERATIONAL,
      transit: !chap,
      keys: [...this.identityKeys(), { key: 'AuthMethod', value: authMethod }],
    });
    const chosen = reply.keys.get('AuthMethod');
    if (chosen === 'CHAP' && chap) {
      const client = new ChapClient(chap, mutualChap);
      if (!reply.transit) {
        reply = await this.exchange({ csg: SECURITY, nsg: OPERATIONAL, transit: false, keys: [{ key: 'CHAP_A', value: CHAP_OFFER }] });
      }
      const answer = client.respond(reply.keys);
      reply = await this.exchange({ csg: SECURITY, nsg: OPERATIONAL, transit: true, keys: answer });
      client.verifyTarget(reply.keys);
    } else if (chosen === 'None' || (chosen === undefined && !chap)) {
      if (mutualChap) throw new IscsiLoginError('target refused CHAP but mutual CHAP is required', 0, 0);
    } else {
      throw this.protocol(`target chose AuthMethod=${chosen ?? '(nothing)'}, we offered ${authMethod}`);
    }
    while (!reply.transit) {
      reply = await this.exchange({ csg: SECURITY, nsg: OPERATIONAL, transit: true, keys: [] });
    }
    return reply;
  }

  /** Operational stage; returns the parameters negotiated, the transport in full feature phase. */
  private async operational(tracker: OfferTracker): Promise<SessionParams> {
    const offer = buildOffer(this.p.sessionType, this.p.limits, this.p.digests);
    tracker.noteOffered(offer);
    let keys: TextPair[] = offer;
    let params: SessionParams | undefined;
    while (!params) {
      await this.exchange({ csg: OPERATIONAL, nsg: FULL_FEATURE, transit: true, keys }, (reply) => {
        try {
          keys = tracker.absorb(reply.pairs);
        } catch (e) {
          if (e instanceof NegotiationError) throw this.protocol(e.message);
          throw e;
        }
        if (reply.transit && reply.nsg === FULL_FEATURE) params = this.enterFullFeature(tracker.result());
      });
    }
    return params;
  }

  /**
   * Called as the final login response is framed: the PDUs behind it in the same read are
   * framed with the session's digests and limits, and kept for the session's handler.
   */
  private enterFullFeature(params: SessionParams): SessionParams {
    this.transport.configure({
      headerDigest: params.headerDigest,
      dataDigest: params.dataDigest,
      maxRecvDataSegmentLength: params.maxRecvDataSegmentLength,
    });
    this.transport.holdUntilHandler();
    return params;
  }

  /**
   * One request, and its complete reply (following Continue responses). `onReply` sees the
   * reply as its last PDU is framed, before any PDU after it (see enterFullFeature).
   */
  private async exchange(step: Step, onReply?: (reply: Reply) => void): Promise<Reply> {
    if (++this.rounds > MAX_LOGIN_ROUNDS) throw this.protocol('login did not converge');
    this.sendRequest(step, encodeTextKeys(step.keys));
    const text: LoginText = { parts: [], bytes: 0 };
    for (;;) {
      const reply = await this.waiter.next(this.deadline, 'login', (pdu) => {
        const complete = this.receive(step, pdu, text);
        if (complete) onReply?.(complete);
        return complete;
      });
      if (reply) return reply;
      // Ask for the rest: an empty request in the same stage.
      this.sendRequest({ csg: step.csg, nsg: step.nsg, transit: false, keys: [] }, Buffer.alloc(0));
    }
  }

  /** One login response of `step`: the reply once its text is complete, undefined while more is to come. */
  private receive(step: Step, pdu: FramedPdu, text: LoginText): Reply | undefined {
    let decoded: TargetPdu;
    try {
      decoded = decodeTargetPdu(pdu.header);
    } catch (e) {
      if (e instanceof PduError) throw this.protocol(e.message);
      throw e;
    }
    if (decoded.kind === 'reject') throw new IscsiLoginError(`target rejected the login request (reason 0x${decoded.pdu.reason.toString(16)})`, 0, 0);
    if (decoded.kind !== 'login-response') throw this.protocol(`unexpected ${decoded.kind} PDU during login`);
    const r = decoded.pdu;
    if (r.statusClass !== 0) {
      const detail = describeLoginStatus(r.statusClass, r.statusDetail);
      const redirect = r.statusClass === 1 ? this.redirectAddress(pdu.data) : undefined;
      const message = `login failed: ${detail}${redirect ? ` (TargetAddress=${redirect})` : ''}`;
      // Only the two redirects RFC 7143 defines, to an address we can read, can be followed.
      const address = redirect !== undefined && (r.statusDetail === 1 || r.statusDetail === 2) ? parseRedirect(redirect) : undefined;
      if (address) throw new IscsiLoginRedirectError(message, r.statusDetail, address);
      throw new IscsiLoginError(message, r.statusClass, r.statusDetail);
    }
    if (r.csg !== step.csg) throw this.protocol(`login response for stage ${r.csg}, we are in stage ${step.csg}`);
    this.expStatSN = (r.statSN + 1) >>> 0;
    this.lastExpCmdSN = r.expCmdSN;
    this.lastMaxCmdSN = r.maxCmdSN;
    if (r.tsih !== 0) this.tsih = r.tsih;
    text.bytes += pdu.data.length;
    if (text.bytes > MAX_LOGIN_TEXT_BYTES) throw this.protocol('login text too long');
    text.parts.push(pdu.data);
    if (r.continue) {
      if (r.transit) throw this.protocol('login response with both T and C');
      return undefined;
    }
    let pairs: TextPair[];
    try {
      pairs = parseTextKeys(Buffer.concat(text.parts));
    } catch (e) {
      if (e instanceof TextKeyError) throw this.protocol(`bad login text: ${e.message}`);
      throw e;
    }
    return { csg: r.csg, nsg: r.nsg, transit: r.transit, pairs, keys: new Map(pairs.map((p) => [p.key, p.value])) };
  }

  private sendRequest(step: Step, data: Buffer): void {
    const header = encodeLoginRequest(
      {
        transit: step.transit,
        continue: false,
        csg: step.csg,
        nsg: step.transit ? step.nsg : 0,
        versionMax: 0,
        versionMin: 0,
        isid: this.p.isid,
        tsih: this.tsih,
        itt: this.itt,
        cid: this.p.cid ?? 0,
        cmdSN: this.cmdSN,
        expStatSN: this.expStatSN,
      },
      data.length,
    );
    this.transport.send(header, data);
  }

  private redirectAddress(data: Buffer): string | undefined {
    try {
      return parseTextKeys(data).find((p) => p.key === 'TargetAddress')?.value;
    } catch {
      return undefined;
    }
  }

  private protocol(message: string): IscsiLoginError {
    return new IscsiLoginError(`login protocol error: ${message}`, 0, 0);
  }
}

/** A redirect's TargetAddress (`host[:port]`, its ",tpgt" tolerated), or undefined when unreadable. */
function parseRedirect(targetAddress: string): { host: string; port: number } | undefined {
  try {
    const { host, port } = parseTargetAddress(targetAddress);
    return { host, port };
  } catch (e) {
    if (e instanceof SendTargetsFormatError) return undefined;
    throw e;
  }
}

/** Runs the login on a freshly connected transport. On failure the caller closes the transport. */
export function login(transport: PduTransport, parameters: LoginParameters): Promise<LoginResult> {
  return new LoginExchange(transport, parameters).run();
}

export interface PortalAddress {
  host: string;
  port: number;
}

export interface ConnectedLogin {
  transport: PduTransport;
  result: LoginResult;
  /** Where the login succeeded, after any redirects. */
  portal: PortalAddress;
  /** Where the last permanent redirect on the way moved the target: the address for later logins. */
  movedTo?: PortalAddress;
}

/**
 * Connects and logs in, following login redirects (RFC 7143 §11.13.5) to the address each
 * names, at most MAX_LOGIN_REDIRECTS of them. On failure the connection is closed.
 */
export async function connectAndLogin(portal: PortalAddress, connectMs: number, parameters: LoginParameters): Promise<ConnectedLogin> {
  let at = portal;
  let movedTo: PortalAddress | undefined;
  for (let redirects = 0; ; redirects++) {
    const transport = await PduTransport.connect(at.host, at.port, connectMs);
    try {
      const result = await login(transport, parameters);
      return { transport, result, portal: at, ...(movedTo ? { movedTo } : {}) };
    } catch (e) {
      transport.fail(new IscsiConnectionError('login failed'));
      if (!(e instanceof IscsiLoginRedirectError)) throw e;
      if (redirects >= MAX_LOGIN_REDIRECTS) {
        throw new IscsiLoginError(`${e.message}: gave up after ${MAX_LOGIN_REDIRECTS} redirects`, e.statusClass, e.statusDetail);
      }
      log.info({ from: `${at.host}:${at.port}`, to: `${e.address.host}:${e.address.port}`, permanent: e.permanent }, 'login redirected');
      at = e.address;
      if (e.permanent) movedTo = at;
    }
  }
}
