/**
 * SendTargets text requests (RFC 7143 §13.3, Appendix C): which targets and portals to
 * report. Only targets the initiator may log in to are listed.
 */
import type { TargetConfig } from './config.js';
import { encodeTextKeys, parseTextKeys, type TextPair } from '../iscsi/text-keys.js';
import { sameIscsiName } from './iscsi-name.js';
import { hostAndPort } from '../util/host-port.js';

export function isInitiatorAllowed(target: TargetConfig, initiatorName: string): boolean {
  return target.allow.length === 0 || target.allow.some((allowed) => sameIscsiName(allowed, initiatorName));
}

/**
 * `HOST:PORT,TPGT` as TargetAddress wants it. IPv6 goes in brackets; IPv4-mapped IPv6
 * (what a dual-stack socket reports for IPv4 peers) is shown as plain IPv4.
 */
export function formatPortalAddress(host: string, port: number, portalGroupTag: number): string {
  return `${formatHostPort(host, port)},${portalGroupTag}`;
}

/** `HOST:PORT`, the host shown as formatPortalAddress shows it. */
export function formatHostPort(host: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return hostAndPort(mapped ? mapped[1]! : host, port);
}

export interface SendTargetsContext {
  sessionType: 'Normal' | 'Discovery';
  initiatorName: string;
  /** The target of a normal session. */
  sessionTarget?: TargetConfig;
  /** All targets behind this portal group. */
  targets: readonly TargetConfig[];
  /** `HOST:PORT,TPGT` of the portal the connection came in on (see formatPortalAddress). */
  portal: string;
}

/** Pairs answering one SendTargets value. */
export function sendTargetsPairs(value: string, ctx: SendTargetsContext): TextPair[] {
  let listed: readonly TargetConfig[];
  if (value === 'All') {
    // RFC 7143 Appendix C: All is reserved for discovery sessions.
    if (ctx.sessionType !== 'Discovery') return [{ key: 'SendTargets', value: 'Reject' }];
    listed = ctx.targets;
  } else if (value === '') {
    if (ctx.sessionType !== 'Normal' || !ctx.sessionTarget) return [{ key: 'SendTargets', value: 'Reject' }];
    listed = [ctx.sessionTarget];
  } else {
    listed = ctx.targets.filter((t) => sameIscsiName(t.iqn, value));
  }
  const pairs: TextPair[] = [];
  for (const target of listed) {
    if (!isInitiatorAllowed(target, ctx.initiatorName)) continue;
    pairs.push({ key: 'TargetName', value: target.iqn }, { key: 'TargetAddress', value: ctx.portal });
  }
  return pairs;
}

export function buildSendTargetsResponse(value: string, ctx: SendTargetsContext): Buffer {
  return encodeTextKeys(sendTargetsPairs(value, ctx));
}

/**
 * Answer a whole Text Request data segment (parsed here so the connection never parses
 * keys): SendTargets is answered as above, any other key NotUnderstood. Throws
 * TextKeyError on malformed data (the connection answers with a Reject PDU).
 */
export function answerTextRequest(data: Uint8Array, ctx: SendTargetsContext): Buffer {
  const out: TextPair[] = [];
  for (const { key, value } of parseTextKeys(data)) {
    if (key === 'SendTargets') out.push(...sendTargetsPairs(value, ctx));
    else out.push({ key, value: 'NotUnderstood' });
  }
  return encodeTextKeys(out);
}
