/**
 * RFC 7143 §6.2 / §13 key semantics. The key table is role-neutral; `ParameterNegotiator`
 * answers the peer's offers (the responder side, which is what a target does during login)
 * and records the peer's declarations. An initiator can reuse the table and `resolveAnswer`
 * to combine its own offer with the target's answer.
 */
import { DEFAULT_SESSION_PARAMS, type SessionParams } from './session-params.js';
import type { TextPair } from './text-keys.js';

export type NegotiationRole = 'target' | 'initiator';
export type SessionKind = 'Normal' | 'Discovery';

export type KeyKind =
  | 'list'
  | 'numeric-min'
  | 'numeric-max'
  | 'boolean-and'
  | 'boolean-or'
  /** Each side states its own value; nothing is answered. */
  | 'declarative'
  /** Handled by the login state machine (AuthMethod, CHAP_*), never by this module. */
  | 'security'
  /** Identity keys of the first request (InitiatorName, TargetName, SessionType). */
  | 'identity'
  /** Obsolete RFC 3720 marker intervals: always answered Irrelevant since markers are off. */
  | 'irrelevant';

export interface KeyDefinition {
  name: string;
  kind: KeyKind;
  /** Who may send the key (RFC 7143 "Senders"). */
  senders: 'initiator' | 'target' | 'both';
  /** Leading-connection-only keys (RFC 7143 "LO"). */
  leadingOnly: boolean;
  irrelevantInDiscovery: boolean;
  min?: number;
  max?: number;
  /** Values a list key may take, in no particular order. */
  values?: readonly string[];
}

function key(name: string, kind: KeyKind, extra: Partial<KeyDefinition> = {}): KeyDefinition {
  return { name, kind, senders: 'both', leadingOnly: false, irrelevantInDiscovery: false, ...extra };
}

const SEGMENT = { min: 512, max: 16_777_215 };
const NORMAL_ONLY = { irrelevantInDiscovery: true, leadingOnly: true };

export const KEY_TABLE: ReadonlyMap<string, KeyDefinition> = new Map(
  [
    key('HeaderDigest', 'list', { values: ['CRC32C', 'None'] }),
    key('DataDigest', 'list', { values: ['CRC32C', 'None'] }),
    key('MaxConnections', 'numeric-min', { ...NORMAL_ONLY, min: 1, max: 65_535 }),
    key('SendTargets', 'irrelevant', { senders: 'initiator' }),
    key('TargetName', 'identity', { senders: 'initiator' }),
    key('InitiatorName', 'identity', { senders: 'initiator' }),
    key('SessionType', 'identity', { senders: 'initiator', leadingOnly: true }),
    key('TargetAlias', 'declarative', { senders: 'target' }),
    key('InitiatorAlias', 'declarative', { senders: 'initiator' }),
    key('TargetAddress', 'declarative', { senders: 'target' }),
    key('TargetPortalGroupTag', 'declarative', { senders: 'target', min: 0, max: 65_535 }),
    key('InitialR2T', 'boolean-or', NORMAL_ONLY),
    key('ImmediateData', 'boolean-and', NORMAL_ONLY),
    key('MaxRecvDataSegmentLength', 'declarative', SEGMENT),
    key('MaxBurstLength', 'numeric-min', { ...NORMAL_ONLY, ...SEGMENT }),
    key('FirstBurstLength', 'numeric-min', { ...NORMAL_ONLY, ...SEGMENT }),
    key('DefaultTime2Wait', 'numeric-max', { leadingOnly: true, min: 0, max: 3600 }),
    key('DefaultTime2Retain', 'numeric-min', { leadingOnly: true, min: 0, max: 3600 }),
    key('MaxOutstandingR2T', 'numeric-min', { ...NORMAL_ONLY, min: 1, max: 65_535 }),
    // RFC 7143 §13.19-20: result function OR, so a side that needs in-order data gets it.
    key('DataPDUInOrder', 'boolean-or', NORMAL_ONLY),
    key('DataSequenceInOrder', 'boolean-or', NORMAL_ONLY),
    key('ErrorRecoveryLevel', 'numeric-min', { leadingOnly: true, min: 0, max: 2 }),
    key('iSCSIProtocolLevel', 'numeric-min', { leadingOnly: true, min: 0, max: 31 }),
    key('TaskReporting', 'list', { ...NORMAL_ONLY, values: ['RFC3720', 'ResponseFence', 'FastAbort'] }),
    // RFC 3720 keys still sent by Linux initiators; we only ever agree to "No".
    key('IFMarker', 'boolean-and'),
    key('OFMarker', 'boolean-and'),
    key('IFMarkInt', 'irrelevant'),
    key('OFMarkInt', 'irrelevant'),
    key('RDMAExtensions', 'boolean-and', { leadingOnly: true }),
    key('AuthMethod', 'security', { values: ['CHAP', 'None', 'SRP', 'KRB5', 'SPKM1', 'SPKM2'] }),
    ...['CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R'].map((n) => key(n, 'security')),
  ].map((d) => [d.name, d]),
);

/** What our side is willing to do; the negotiated result never exceeds these. */
export interface NegotiationPolicy {
  /** Acceptable digests; the offerer's order decides among them. */
  headerDigests: readonly string[];
  dataDigests: readonly string[];
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
  initialR2T: boolean;
  immediateData: boolean;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxConnections: number;
  errorRecoveryLevel: number;
  protocolLevel: number;
}

/** A violation that must end the login (status 0x0200 Initiator error). */
export class NegotiationError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'NegotiationError';
  }
}

/** RFC 7143 §6.1 numerical-value: decimal or 0x-hex; anything else is not a number. */
export function parseNumber(value: string): number | undefined {
  let n: bigint;
  if (/^[0-9]{1,20}$/.test(value)) n = BigInt(value);
  else if (/^0[xX][0-9a-fA-F]{1,16}$/.test(value)) n = BigInt(value);
  else return undefined;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

function parseBoolean(value: string): boolean | undefined {
  return value === 'Yes' ? true : value === 'No' ? false : undefined;
}

const formatBoolean = (b: boolean): string => (b ? 'Yes' : 'No');

function inRange(def: KeyDefinition, n: number): boolean {
  return (def.min === undefined || n >= def.min) && (def.max === undefined || n <= def.max);
}

/** Answers that negotiate nothing: the default stays in force. */
export const ANSWER_WORDS: ReadonlySet<string> = new Set(['Reject', 'Irrelevant', 'NotUnderstood']);

/**
 * Combine an offer with the answer to it, from the offerer's side (used by an initiator
 * after the target answers). Returns undefined when the answer leaves the default in force.
 */
export function resolveAnswer(def: KeyDefinition, offered: string, answer: string): string | undefined {
  if (ANSWER_WORDS.has(answer)) return undefined;
  switch (def.kind) {
    case 'list':
      return offered.split(',').includes(answer) ? answer : undefined;
    case 'numeric-min':
    case 'numeric-max': {
      const a = parseNumber(answer);
      const o = parseNumber(offered);
      if (a === undefined || o === undefined || !inRange(def, a)) return undefined;
      if (def.kind === 'numeric-min' ? a > o : a < o) return undefined;
      return String(a);
    }
    case 'boolean-and':
    case 'boolean-or':
      return parseBoolean(answer) === undefined ? undefined : answer;
    default:
      return answer;
  }
}

/**
 * Responder-side negotiation state across all requests of one login. Each key may be
 * offered once per login (RFC 7143 §6.2); a repeat is a protocol error.
 */
export class ParameterNegotiator {
  private readonly params: SessionParams = { ...DEFAULT_SESSION_PARAMS };
  private readonly seen = new Set<string>();
  private declaredOwnRecvLength = false;

  constructor(
    readonly role: NegotiationRole,
    private readonly policy: NegotiationPolicy,
    private sessionType: SessionKind = 'Normal',
    /** False when the connection joins an existing session (LO keys are then forbidden). */
    private readonly leading = true,
  ) {}

  setSessionType(kind: SessionKind): void {
    this.sessionType = kind;
  }

  /**
   * Answer the peer's operational keys, in offer order. Security and identity keys must
   * have been removed by the caller. Throws NegotiationError on protocol violations.
   */
  respond(pairs: readonly TextPair[]): TextPair[] {
    // MaxBurstLength first so that FirstBurstLength in the same set can be bounded by it.
    const ordered = [...pairs].sort((a, b) => rank(a.key) - rank(b.key));
    const answers = new Map<string, string>();
    for (const { key: name, value } of ordered) {
      const answer = this.respondOne(name, value);
      if (answer !== undefined) answers.set(name, answer);
    }
    return pairs.filter((p) => answers.has(p.key)).map((p) => ({ key: p.key, value: answers.get(p.key)! }));
  }

  /** Our own MaxRecvDataSegmentLength declaration, once per login (RFC 7143 §13.12). */
  declareRecvDataSegmentLength(): TextPair | undefined {
    if (this.declaredOwnRecvLength) return undefined;
    this.declaredOwnRecvLength = true;
    this.params.maxRecvDataSegmentLength = this.policy.maxRecvDataSegmentLength;
    return { key: 'MaxRecvDataSegmentLength', value: String(this.policy.maxRecvDataSegmentLength) };
  }

  /** Parameters in force given everything negotiated so far (defaults elsewhere). */
  result(): SessionParams {
    return { ...this.params };
  }

  private respondOne(name: string, value: string): string | undefined {
    if (ANSWER_WORDS.has(value)) return undefined; // the peer never offers these; nothing to answer
    const def = KEY_TABLE.get(name);
    if (!def) return 'NotUnderstood';
    if (def.kind === 'security' || def.kind === 'identity') {
      throw new NegotiationError(name, `${name} is not an operational key`);
    }
    if (this.seen.has(name)) throw new NegotiationError(name, `${name} negotiated more than once`);
    this.seen.add(name);
    const peer = this.role === 'target' ? 'initiator' : 'target';
    if (def.senders !== 'both' && def.senders !== peer) {
      throw new NegotiationError(name, `${name} may not be sent by the ${peer}`);
    }
    if (def.leadingOnly && !this.leading) throw new NegotiationError(name, `${name} is only valid on a leading connection`);
    if (def.kind === 'irrelevant') return 'Irrelevant';
    if (def.irrelevantInDiscovery && this.sessionType === 'Discovery') return 'Irrelevant';
    switch (def.kind) {
      case 'list':
        return this.respondList(def, value);
      case 'numeric-min':
      case 'numeric-max':
        return this.respondNumeric(def, value);
      case 'boolean-and':
      case 'boolean-or':
        return this.respondBoolean(def, value);
      case 'declarative':
        this.recordDeclaration(def, value);
        return undefined;
    }
  }

  private respondList(def: KeyDefinition, value: string): string {
    const acceptable = this.acceptableValues(def.name);
    const choice = value.split(',').find((v) => acceptable.includes(v));
    if (choice === undefined) return 'Reject';
    if (def.name === 'HeaderDigest') this.params.headerDigest = choice === 'CRC32C';
    if (def.name === 'DataDigest') this.params.dataDigest = choice === 'CRC32C';
    return choice;
  }

  private acceptableValues(name: string): readonly string[] {
    if (name === 'HeaderDigest') return this.policy.headerDigests;
    if (name === 'DataDigest') return this.policy.dataDigests;
    if (name === 'TaskReporting') return ['RFC3720'];
    return [];
  }

  private respondNumeric(def: KeyDefinition, value: string): string {
    const offered = parseNumber(value);
    if (offered === undefined || !inRange(def, offered)) return 'Reject';
    const ours = this.ownNumeric(def.name);
    let result = def.kind === 'numeric-min' ? Math.min(offered, ours) : Math.max(offered, ours);
    if (def.name === 'FirstBurstLength') {
      // RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
      result = Math.min(result, this.params.maxBurstLength);
    }
    if (def.name === 'MaxBurstLength' && this.seen.has('FirstBurstLength') && result < this.params.firstBurstLength) {
      throw new NegotiationError(def.name, 'MaxBurstLength below an already negotiated FirstBurstLength');
    }
    this.storeNumeric(def.name, result);
    return String(result);
  }

  private ownNumeric(name: string): number {
    const p = this.policy;
    switch (name) {
      case 'MaxConnections':
        return p.maxConnections;
      case 'MaxBurstLength':
        return p.maxBurstLength;
      case 'FirstBurstLength':
        return p.firstBurstLength;
      case 'DefaultTime2Wait':
        return p.defaultTime2Wait;
      case 'DefaultTime2Retain':
        return p.defaultTime2Retain;
      case 'MaxOutstandingR2T':
        return p.maxOutstandingR2T;
      case 'ErrorRecoveryLevel':
        return p.errorRecoveryLevel;
      case 'iSCSIProtocolLevel':
        return p.protocolLevel;
      default:
        throw new Error(`no policy for numeric key ${name}`);
    }
  }

  private storeNumeric(name: string, n: number): void {
    const p = this.params;
    switch (name) {
      case 'MaxConnections':
        p.maxConnections = n;
        break;
      case 'MaxBurstLength':
        p.maxBurstLength = n;
        // A later FirstBurstLength is clamped; an unnegotiated default must obey too.
        if (!this.seen.has('FirstBurstLength')) p.firstBurstLength = Math.min(p.firstBurstLength, n);
        break;
      case 'FirstBurstLength':
        p.firstBurstLength = n;
        break;
      case 'DefaultTime2Wait':
        p.defaultTime2Wait = n;
        break;
      case 'DefaultTime2Retain':
        p.defaultTime2Retain = n;
        break;
      case 'MaxOutstandingR2T':
        p.maxOutstandingR2T = n;
        break;
      case 'ErrorRecoveryLevel':
        p.errorRecoveryLevel = n;
        break;
      // iSCSIProtocolLevel has no SessionParams field; the answer is all that matters.
    }
  }

  private respondBoolean(def: KeyDefinition, value: string): string {
    const offered = parseBoolean(value);
    if (offered === undefined) return 'Reject';
    const ours = this.ownBoolean(def.name);
    const result = def.kind === 'boolean-and' ? offered && ours : offered || ours;
    const p = this.params;
    if (def.name === 'InitialR2T') p.initialR2T = result;
    if (def.name === 'ImmediateData') p.immediateData = result;
    if (def.name === 'DataPDUInOrder') p.dataPDUInOrder = result;
    if (def.name === 'DataSequenceInOrder') p.dataSequenceInOrder = result;
    return formatBoolean(result);
  }

  private ownBoolean(name: string): boolean {
    const p = this.policy;
    switch (name) {
      case 'InitialR2T':
        return p.initialR2T;
      case 'ImmediateData':
        return p.immediateData;
      case 'DataPDUInOrder':
        return p.dataPDUInOrder;
      case 'DataSequenceInOrder':
        return p.dataSequenceInOrder;
      default:
        return false; // markers and RDMA extensions: unsupported
    }
  }

  private recordDeclaration(def: KeyDefinition, value: string): void {
    if (def.name !== 'MaxRecvDataSegmentLength') return; // aliases etc. carry no parameter
    const n = parseNumber(value);
    if (n === undefined || !inRange(def, n)) {
      throw new NegotiationError(def.name, `invalid MaxRecvDataSegmentLength ${JSON.stringify(value)}`);
    }
    this.params.maxSendDataSegmentLength = n;
  }
}

function rank(name: string): number {
  return name === 'MaxBurstLength' ? 0 : 1;
}
