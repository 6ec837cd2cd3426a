/** SendTargets response text (RFC 7143 Appendix C) → targets and their portals. */
import { TextKeyError, parseTextKeys } from '../iscsi/text-keys.js';

export interface DiscoveredPortal {
  host: string;
  port: number;
  portalGroupTag?: number;
}

export interface DiscoveredTarget {
  iqn: string;
  portals: DiscoveredPortal[];
}

export class SendTargetsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SendTargetsFormatError';
  }
}

/** TargetAddress value: `host[:port][,tpgt]`, host may be a bracketed IPv6 address. */
export function parseTargetAddress(value: string, defaultPort = 3260): DiscoveredPortal {
  const comma = value.lastIndexOf(',');
  const address = comma >= 0 ? value.slice(0, comma) : value;
  const tagText = comma >= 0 ? value.slice(comma + 1) : undefined;
  let host: string;
  let portText: string | undefined;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new SendTargetsFormatError(`unterminated IPv6 address in TargetAddress=${value}`);
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new SendTargetsFormatError(`bad TargetAddress=${value}`);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = address.indexOf(':');
    host = colon >= 0 ? address.slice(0, colon) : address;
    portText = colon >= 0 ? address.slice(colon + 1) : undefined;
  }
  if (host === '') throw new SendTargetsFormatError(`empty host in TargetAddress=${value}`);
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new SendTargetsFormatError(`bad port in TargetAddress=${value}`);
    }
    port = Number(portText);
  }
  const portal: DiscoveredPortal = { host, port };
  if (tagText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(tagText) || Number(tagText) > 65535) throw new SendTargetsFormatError(`bad portal group tag in TargetAddress=${value}`);
    portal.portalGroupTag = Number(tagText);
  }
  return portal;
}

export function parseSendTargets(data: Buffer): DiscoveredTarget[] {
  let pairs;
  try {
    pairs = parseTextKeys(data, { allowDuplicates: true });
  } catch (e) {
    if (e instanceof TextKeyError) throw new SendTargetsFormatError(`bad SendTargets text: ${e.message}`);
    throw e;
  }
  const targets: DiscoveredTarget[] = [];
  let current: DiscoveredTarget | undefined;
  for (const { key, value } of pairs) {
    if (key === 'TargetName') {
      current = { iqn: value, portals: [] };
      targets.push(current);
    } else if (key === 'TargetAddress') {
      if (!current) throw new SendTargetsFormatError('TargetAddress before any TargetName');
      current.portals.push(parseTargetAddress(value));
    }
    // Other keys (TargetAlias in some targets) carry nothing we report.
  }
  return targets;
}
