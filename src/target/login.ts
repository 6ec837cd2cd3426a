/**
 * Target-side login state machine (RFC 7143 §6.3, §11.12-13): identity and target lookup,
 * ACL, security stage (AuthMethod None or CHAP), operational stage, stage transitions,
 * and Continue-bit reassembly. One instance per connection login; `step` never throws.
 */
import type { TargetConfig } from './config.js';
import type { LoginEnvironment, LoginOutcome, LoginStep, LoginStepReply } from './login-types.js';
import { ChapAuthenticator, type ChapTargetCredentials } from './chap-authenticator.js';
import { ChapError, type RandomSource } from '../iscsi/chap.js';
import { ANSWER_WORDS, KEY_TABLE, NegotiationError, ParameterNegotiator, type NegotiationPolicy } from '../iscsi/negotiation.js';
import { defaultTargetPolicy } from './negotiation-policy.js';
import { LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH } from './transport-limits.js';
import { isInitiatorAllowed } from './send-targets.js';
import { encodeTextKeys, parseTextKeys, TextKeyError, type TextPair } from '../iscsi/text-keys.js';
import { moduleLogger, type Logger } from '../util/log.js';

/** Status-Class << 8 | Status-Detail (RFC 7143 §11.13.5). */
export const LoginStatus = {
  Success: 0x0000,
  InitiatorError: 0x0200,
  AuthenticationFailure: 0x0201,
  AuthorizationFailure: 0x0202,
  NotFound: 0x0203,
  UnsupportedVersion: 0x0205,
  MissingParameter: 0x0207,
  SessionTypeUnsupported: 0x0209,
  SessionDoesNotExist: 0x020a,
  TargetError: 0x0300,
} as const;

export const Stage = { Security: 0, Operational: 1, FullFeature: 3 } as const;

/** Bound on a Continue-bit key set: our memory, not the peer's claim, decides. */
export const MAX_LOGIN_KEY_BYTES = 64 * 1024;
/** Bound on requests per login so an initiator cannot stall in a stage forever. */
export const MAX_LOGIN_STEPS = 256;
/** We implement iSCSI version 0x00 only (RFC 7143 §11.12.4). */
export const ISCSI_VERSION = 0x00;
const MAX_ISCSI_NAME_BYTES = 223;

const SECURITY_KEYS = new Set(['AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R']);
/** Keys that describe who is logging in; resending the same value later is tolerated (libiscsi does). */
const IDENTITY_KEYS = new Set(['InitiatorName', 'TargetName', 'SessionType', 'InitiatorAlias']);
/**
 * The non-security keys RFC 7143 §13 marks "Any-Stage" besides the identity ones: "Keys
 * marked as Any-Stage may also appear in the SecurityNegotiation stage, while all other keys
 * described in this section are operational keys."
 */
const ANY_STAGE_KEYS = new Set(['TargetAlias', 'TargetAddress', 'TargetPortalGroupTag']);

/** A key RFC 7143 §13 defines as operational: one that belongs to the operational stage only. */
function isOperationalKey(key: string): boolean {
  const def = KEY_TABLE.get(key);
  return def !== undefined && def.kind !== 'security' && def.kind !== 'identity' && !ANY_STAGE_KEYS.has(key);
}

class LoginFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface LoginNegotiatorOptions {
  /** Override our negotiation preferences (defaults derive from env.limits). */
  policy?: NegotiationPolicy;
  /** Randomness for CHAP challenges (tests inject a fixed source). */
  random?: RandomSource;
  logger?: Logger;
}

type Phase = 'in-progress' | 'done' | 'failed';

/** A successful response, before it is cut to the initiator's limit. */
interface UnsentResponse {
  csg: number;
  nsg: number;
  transit: boolean;
  data: Buffer;
}

export class LoginNegotiator {
  private phase: Phase = 'in-progress';
  private result: LoginOutcome | undefined;
  private steps = 0;
  private expectedStage: number | undefined;
  private first = true;
  private isid: Buffer | undefined;
  private tsih = 0;
  private cid = 0;

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The rest of a response sent with C=1, fetched by empty Login Requests. */
  private unsent: UnsentResponse | undefined;

  private readonly identity = new Map<string, string>();
  private sessionType: 'Normal' | 'Discovery' = 'Normal';
  private target: TargetConfig | undefined;
  private credentials: ChapTargetCredentials | undefined;
  private authMethod: 'None' | 'CHAP' | undefined;
  /** The initiator challenged the target too (CHAP_C with its response). */
  private mutual = false;
  private chap: ChapAuthenticator | undefined;
  private securityComplete = false;
  private negotiator: ParameterNegotiator | undefined;
  /** Keys answered Irrelevant without reaching the negotiator; offering one again is a repeat all the same. */
  private readonly answeredIrrelevant = new Set<string>();
  /** FirstBurstLength was offered (answered Irrelevant or by the negotiator). */
  private firstBurstOffered = false;

  private readonly log: Logger;

  constructor(
    private readonly env: LoginEnvironment,
    private readonly options: LoginNegotiatorOptions = {},
  ) {
    this.log = options.logger ?? moduleLogger('login');
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  get failed(): boolean {
    return this.phase === 'failed';
  }

  get outcome(): LoginOutcome | undefined {
    return this.result;
  }

  get initiatorName(): string | undefined {
    return this.identity.get('InitiatorName');
  }

  step(req: LoginStep): LoginStepReply {
    if (this.phase !== 'in-progress') {
      return this.fail(req, new LoginFailure(LoginStatus.InitiatorError, 'login request after login ended'));
    }
    try {
      if (++this.steps > MAX_LOGIN_STEPS) throw new LoginFailure(LoginStatus.InitiatorError, 'too many login requests');
      return this.process(req);
    } catch (err) {
      return this.fail(req, toFailure(err));
    }
  }

  private process(req: LoginStep): LoginStepReply {
    this.checkHeader(req);
    if (this.unsent) return this.nextPiece(req);
    if (req.continue) return this.accumulate(req);
    const data = this.takeAssembled(req.data);
    const pairs = parseTextKeys(data);
    const answers: TextPair[] = [];

    if (this.first) this.acceptIdentity(pairs, answers);
    else this.checkIdentityRepeat(pairs);
    const negotiator = this.negotiator!;

    if (req.csg === Stage.Operational && !this.securityComplete) {
      // Skipping the security stage is only allowed when we require no authentication.
      if (this.credentials) throw new LoginFailure(LoginStatus.AuthenticationFailure, 'authentication required but security stage skipped');
      this.securityComplete = true;
    }

    const security = pairs.filter((p) => SECURITY_KEYS.has(p.key));
    const operational = pairs.filter((p) => !SECURITY_KEYS.has(p.key) && !IDENTITY_KEYS.has(p.key));
    if (req.csg === Stage.Security) {
      // RFC 7143 §13: only Any-Stage keys may appear in the SecurityNegotiation stage; the
      // others are operational, negotiated "starting immediately after the security
      // negotiation" (§6.3.3). Answering one here settled it before the initiator was
      // authenticated, so, like a security key outside its stage, it ends the login.
      const misplaced = operational.find((p) => isOperationalKey(p.key));
      if (misplaced) throw new LoginFailure(LoginStatus.InitiatorError, `operational key ${misplaced.key} in the security stage`);
      answers.push(...this.negotiateSecurity(security, req.transit));
    } else if (security.length > 0) {
      throw new LoginFailure(LoginStatus.InitiatorError, `security key ${security[0]!.key} outside the security stage`);
    }
    answers.push(...this.respondOperational(operational));
    if (req.csg === Stage.Operational) {
      const declaration = negotiator.declareRecvDataSegmentLength();
      if (declaration) answers.push(declaration);
    }
    this.first = false;

    // The target transits only when asked and, from the security stage, only once authenticated.
    const transit = req.transit && (req.csg !== Stage.Security || this.securityComplete);
    return this.reply({ csg: req.csg, nsg: req.nsg, transit, data: encodeTextKeys(answers) });
  }

  /**
   * Answers a request's operational keys, in offer order. Two answers the negotiator cannot
   * give, as they depend on this login rather than on the key:
   * - A login with a non-zero TSIH joins a live session (connection reinstatement), so it is
   *   not the leading login: its leading-only keys are answered Irrelevant and the session's
   *   values stay (RFC 7143 §13: LO keys "MUST only be carried on the leading connection and
   *   cannot be changed after the leading connection login ... This holds for a single
   *   connection session with regard to connection restart"). An answered value would be one
   *   the session never applies (session-binding.ts keeps the session's).
   * - FirstBurstLength is Irrelevant once InitialR2T=Yes and ImmediateData=No are in force
   *   (§13.14 "Irrelevant when: ( InitialR2T=Yes and ImmediateData=No )"), those offered in
   *   the same request included, so it is answered after the request's other keys.
   */
  private respondOperational(pairs: readonly TextPair[]): TextPair[] {
    const negotiator = this.negotiator!;
    const leading = this.tsih === 0;
    const answers = new Map<string, string>();
    const irrelevant = (key: string): void => {
      if (this.answeredIrrelevant.has(key)) throw new LoginFailure(LoginStatus.InitiatorError, `${key} negotiated more than once`);
      this.answeredIrrelevant.add(key);
      answers.set(key, 'Irrelevant');
    };
    const now: TextPair[] = [];
    let firstBurst: TextPair | undefined;
    for (const p of pairs) {
      // Answer words offered as values are the negotiator's to ignore.
      if (ANSWER_WORDS.has(p.value)) now.push(p);
      else if (!leading && KEY_TABLE.get(p.key)?.leadingOnly) irrelevant(p.key);
      else if (p.key === 'FirstBurstLength') firstBurst = p;
      else now.push(p);
    }
    for (const a of negotiator.respond(now)) answers.set(a.key, a.value);
    if (firstBurst) {
      if (this.firstBurstOffered) throw new LoginFailure(LoginStatus.InitiatorError, 'FirstBurstLength negotiated more than once');
      this.firstBurstOffered = true;
      const inForce = negotiator.result();
      // A discovery session's is Irrelevant too: the negotiator answers that itself.
      if (inForce.initialR2T && !inForce.immediateData && this.sessionType === 'Normal') irrelevant(firstBurst.key);
      else for (const a of negotiator.respond([firstBurst])) answers.set(a.key, a.value);
    }
    return pairs.filter((p) => answers.has(p.key)).map((p) => ({ key: p.key, value: answers.get(p.key)! }));
  }

  /**
   * Every key is answered (NotUnderstood at least, RFC 7143 §6.2), so a request of unknown
   * keys gets a longer answer than itself. A Login Response beyond the initiator's 8192 bytes
   * goes in pieces with C=1 and T=0 (§11.13), the initiator fetching each next one with an
   * empty Login Request; the transition happens with the last piece.
   */
  private reply(full: UnsentResponse): LoginStepReply {
    const { csg, nsg, transit, data } = full;
    if (data.length > LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH) {
      this.unsent = { ...full, data: data.subarray(LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH) };
      this.expectedStage = csg;
      return { csg, nsg, transit: false, continue: true, statusClass: 0, statusDetail: 0, data: data.subarray(0, LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH) };
    }
    this.expectedStage = transit ? nsg : csg;
    if (transit && nsg === Stage.FullFeature) this.finish();
    return { csg, nsg, transit, continue: false, statusClass: 0, statusDetail: 0, data };
  }

  private nextPiece(req: LoginStep): LoginStepReply {
    if (req.continue || req.data.length > 0) {
      throw new LoginFailure(LoginStatus.InitiatorError, 'login request with keys while a continued response is being sent');
    }
    const rest = this.unsent!;
    this.unsent = undefined;
    return this.reply(rest);
  }

  private checkHeader(req: LoginStep): void {
    if (req.versionMin > ISCSI_VERSION || req.versionMax < ISCSI_VERSION) {
      throw new LoginFailure(LoginStatus.UnsupportedVersion, `unsupported version range ${req.versionMin}..${req.versionMax}`);
    }
    if (req.csg !== Stage.Security && req.csg !== Stage.Operational) {
      throw new LoginFailure(LoginStatus.InitiatorError, `invalid current stage ${req.csg}`);
    }
    if (this.expectedStage !== undefined && req.csg !== this.expectedStage) {
      throw new LoginFailure(LoginStatus.InitiatorError, `stage ${req.csg} while in stage ${this.expectedStage}`);
    }
    if (req.transit) {
      if (req.continue) throw new LoginFailure(LoginStatus.InitiatorError, 'transit and continue both set');
      const legal = req.nsg === Stage.FullFeature || (req.csg === Stage.Security && req.nsg === Stage.Operational);
      if (!legal) throw new LoginFailure(LoginStatus.InitiatorError, `illegal transition ${req.csg} -> ${req.nsg}`);
    }
    if (this.isid === undefined) {
      this.isid = Buffer.from(req.isid);
      this.tsih = req.tsih;
      this.cid = req.cid;
    } else if (!this.isid.equals(req.isid) || this.tsih !== req.tsih || this.cid !== req.cid) {
      throw new LoginFailure(LoginStatus.InitiatorError, 'ISID, TSIH or CID changed during login');
    }
  }

  private accumulate(req: LoginStep): LoginStepReply {
    this.pendingBytes += req.data.length;
    if (this.pendingBytes > MAX_LOGIN_KEY_BYTES) {
      throw new LoginFailure(LoginStatus.InitiatorError, `continued key data exceeds ${MAX_LOGIN_KEY_BYTES} bytes`);
    }
    this.pending.push(Buffer.from(req.data));
    // The stage stays put while a key set is being continued.
    this.expectedStage = req.csg;
    return { csg: req.csg, nsg: req.nsg, transit: false, continue: false, statusClass: 0, statusDetail: 0, data: Buffer.alloc(0) };
  }

  private takeAssembled(last: Buffer): Buffer {
    if (this.pending.length === 0) return last;
    if (this.pendingBytes + last.length > MAX_LOGIN_KEY_BYTES) {
      throw new LoginFailure(LoginStatus.InitiatorError, `continued key data exceeds ${MAX_LOGIN_KEY_BYTES} bytes`);
    }
    const whole = Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingBytes = 0;
    return whole;
  }

  private acceptIdentity(pairs: readonly TextPair[], answers: TextPair[]): void {
    for (const p of pairs) if (IDENTITY_KEYS.has(p.key)) this.identity.set(p.key, p.value);
    const initiatorName = this.identity.get('InitiatorName');
    if (!initiatorName) throw new LoginFailure(LoginStatus.MissingParameter, 'InitiatorName missing from first login request');
    if (Buffer.byteLength(initiatorName) > MAX_ISCSI_NAME_BYTES) {
      throw new LoginFailure(LoginStatus.InitiatorError, 'InitiatorName longer than 223 bytes');
    }
    const sessionType = this.identity.get('SessionType') ?? 'Normal';
    if (sessionType !== 'Normal' && sessionType !== 'Discovery') {
      throw new LoginFailure(LoginStatus.SessionTypeUnsupported, `unsupported SessionType ${JSON.stringify(sessionType)}`);
    }
    this.sessionType = sessionType;
    // A non-zero TSIH (connection reinstatement, §6.3.4) is the binding's to check: the
    // connection refused an unknown one before this request (precheck), and refuses one of
    // another initiator or target once login succeeds (session-binding.ts).

    if (sessionType === 'Normal') {
      const targetName = this.identity.get('TargetName');
      if (!targetName) throw new LoginFailure(LoginStatus.MissingParameter, 'TargetName missing for a normal session');
      const target = this.env.findTarget(targetName);
      if (!target) throw new LoginFailure(LoginStatus.NotFound, `unknown target ${targetName}`);
      this.target = target;
      if (!isInitiatorAllowed(target, initiatorName)) {
        throw new LoginFailure(LoginStatus.AuthorizationFailure, `initiator not in allow list of ${target.iqn}`);
      }
      if (target.chap) this.credentials = { chap: target.chap, mutualChap: target.mutualChap };
      answers.push({ key: 'TargetPortalGroupTag', value: String(this.env.portalGroupTag) });
      if (target.alias) answers.push({ key: 'TargetAlias', value: target.alias });
    } else if (this.env.discoveryChap?.chap) {
      this.credentials = { chap: this.env.discoveryChap.chap, mutualChap: this.env.discoveryChap.mutualChap };
    }
    const policy = this.options.policy ?? defaultTargetPolicy(this.env.limits);
    this.negotiator = new ParameterNegotiator('target', policy, sessionType);
  }

  private checkIdentityRepeat(pairs: readonly TextPair[]): void {
    for (const p of pairs) {
      if (!IDENTITY_KEYS.has(p.key)) continue;
      if (this.identity.get(p.key) !== p.value) {
        throw new LoginFailure(LoginStatus.InitiatorError, `${p.key} changed or first sent after the first login request`);
      }
    }
  }

  private negotiateSecurity(pairs: readonly TextPair[], transitRequested: boolean): TextPair[] {
    const answers: TextPair[] = [];
    const value = (k: string): string | undefined => pairs.find((p) => p.key === k)?.value;

    const offered = value('AuthMethod');
    if (offered !== undefined) {
      if (this.authMethod !== undefined) throw new LoginFailure(LoginStatus.InitiatorError, 'AuthMethod negotiated twice');
      // CHAP is mandatory when configured; None is acceptable only when nothing is configured.
      const acceptable = this.credentials ? 'CHAP' : 'None';
      if (!offered.split(',').includes(acceptable)) {
        throw new LoginFailure(LoginStatus.AuthenticationFailure, `AuthMethod=${offered} offered, ${acceptable} required`);
      }
      this.authMethod = acceptable;
      answers.push({ key: 'AuthMethod', value: acceptable });
      if (acceptable === 'None') this.securityComplete = true;
      else this.chap = new ChapAuthenticator(this.credentials!, this.options.random);
    }

    const chapKeys = pairs.filter((p) => p.key.startsWith('CHAP_'));
    if (chapKeys.length > 0) {
      if (!this.chap) throw new LoginFailure(LoginStatus.InitiatorError, 'CHAP keys sent without AuthMethod=CHAP');
      const algorithm = value('CHAP_A');
      if (algorithm !== undefined) answers.push(...this.chap.offerChallenge(algorithm));
      const responseKeys = chapKeys.filter((p) => p.key !== 'CHAP_A');
      if (responseKeys.length > 0) {
        answers.push(
          ...this.chap.verify({
            name: value('CHAP_N'),
            response: value('CHAP_R'),
            identifier: value('CHAP_I'),
            challenge: value('CHAP_C'),
          }),
        );
        this.mutual = value('CHAP_C') !== undefined;
        this.securityComplete = true;
      }
    }

    if (transitRequested && this.authMethod === undefined) {
      // An initiator may leave AuthMethod unsaid; that means None (RFC 7143 §12.1).
      if (this.credentials) throw new LoginFailure(LoginStatus.AuthenticationFailure, 'authentication required but AuthMethod not negotiated');
      this.authMethod = 'None';
      this.securityComplete = true;
    }
    return answers;
  }

  private finish(): void {
    this.phase = 'done';
    this.result = {
      sessionType: this.sessionType,
      initiatorName: this.identity.get('InitiatorName')!,
      initiatorAlias: this.identity.get('InitiatorAlias'),
      target: this.target,
      params: this.negotiator!.result(),
      authentication: this.authMethod === 'CHAP' ? (this.mutual ? 'mutual-chap' : 'chap') : 'none',
    };
    this.log.debug({ initiator: this.result.initiatorName, target: this.target?.iqn, sessionType: this.sessionType }, 'login complete');
  }

  private fail(req: LoginStep, failure: LoginFailure): LoginStepReply {
    this.phase = 'failed';
    this.log.warn(
      {
        initiator: this.identity.get('InitiatorName'),
        target: this.target?.iqn ?? this.identity.get('TargetName'),
        status: `0x${failure.status.toString(16).padStart(4, '0')}`,
      },
      `login failed: ${failure.reason}`,
    );
    return {
      csg: req.csg & 3,
      nsg: req.nsg & 3,
      transit: false,
      continue: false,
      statusClass: failure.status >> 8,
      statusDetail: failure.status & 0xff,
      data: Buffer.alloc(0),
    };
  }
}

function toFailure(err: unknown): LoginFailure {
  if (err instanceof LoginFailure) return err;
  if (err instanceof TextKeyError) return new LoginFailure(LoginStatus.InitiatorError, `malformed keys: ${err.message}`);
  if (err instanceof NegotiationError) return new LoginFailure(LoginStatus.InitiatorError, err.message);
  if (err instanceof ChapError) {
    const status = err.failure === 'protocol' ? LoginStatus.InitiatorError : LoginStatus.AuthenticationFailure;
    return new LoginFailure(status, `CHAP: ${err.message}`);
  }
  return new LoginFailure(LoginStatus.TargetError, `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
