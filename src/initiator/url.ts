/**
 * iSCSI URLs as libiscsi and the Tandem CLI use them:
 *   iscsi://[user[:secret]@]host[:port]/TARGET-IQN/LUN
 * libiscsi's `user%secret@` form is accepted too: when the user part holds no ':', a '%'
 * separates user and secret (so no percent-decoding there); with ':' both halves are
 * percent-decoded (`user:@` names a user without a secret). IPv6 hosts go in brackets. Portal-only URLs (for discovery) omit the path.
 */
import { hostAndPort } from '../util/host-port.js';

export const DEFAULT_ISCSI_PORT = 3260;
/** RFC 7143 §4.2.7.1: iSCSI names are at most 223 bytes. */
export const MAX_ISCSI_NAME_BYTES = 223;
/** Largest LUN our LUN-field encoding carries (flat addressing, 14 bits). */
export const MAX_URL_LUN = 0x3fff;

export type IscsiUrlErrorCode = 'scheme' | 'userinfo' | 'host' | 'port' | 'target' | 'lun' | 'encoding' | 'path';

export class IscsiUrlError extends Error {
  constructor(
    readonly code: IscsiUrlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IscsiUrlError';
  }
}

export interface IscsiPortalUrl {
  user?: string;
  secret?: string;
  host: string;
  port: number;
}

export interface IscsiUrl extends IscsiPortalUrl {
  targetName: string;
  lun: number;
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new IscsiUrlError('encoding', `invalid percent-encoding in ${what}`);
  }
}

function parseUserinfo(userinfo: string): { user: string; secret?: string } {
  let user: string;
  let secret: string | undefined;
  const colon = userinfo.indexOf(':');
  if (colon >= 0) {
    user = decode(userinfo.slice(0, colon), 'user');
    secret = decode(userinfo.slice(colon + 1), 'secret');
  } else {
    const percent = userinfo.indexOf('%');
    user = percent >= 0 ? userinfo.slice(0, percent) : userinfo;
    secret = percent >= 0 ? userinfo.slice(percent + 1) : undefined;
  }
  if (user.length === 0) throw new IscsiUrlError('userinfo', 'empty user name before "@"');
  // `user:@` is the standard form's way of naming a user with no secret.
  return secret === undefined || secret.length === 0 ? { user } : { user, secret };
}

function parseHostPort(authority: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw new IscsiUrlError('host', 'IPv6 address without closing "]"');
    host = authority.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/.test(host) || !host.includes(':')) {
      throw new IscsiUrlError('host', `invalid IPv6 address ${JSON.stringify(host)}`);
    }
    const rest = authority.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) throw new IscsiUrlError('host', `unexpected ${JSON.stringify(rest)} after IPv6 address`);
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon >= 0 ? authority.slice(0, colon) : authority;
    portText = colon >= 0 ? authority.slice(colon + 1) : undefined;
    if (host.includes(':')) throw new IscsiUrlError('host', 'IPv6 addresses must be written in brackets');
    if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new IscsiUrlError('host', `invalid host ${JSON.stringify(host)}`);
  }
  if (host.length === 0) throw new IscsiUrlError('host', 'missing host');
  let port = DEFAULT_ISCSI_PORT;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) throw new IscsiUrlError('port', `invalid port ${JSON.stringify(portText)}`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw new IscsiUrlError('port', `port ${port} out of range 1-65535`);
  }
  return { host, port };
}

function checkTargetName(name: string): void {
  if (name.length === 0) throw new IscsiUrlError('target', 'missing target name');
  if (Buffer.byteLength(name, 'utf8') > MAX_ISCSI_NAME_BYTES) {
    throw new IscsiUrlError('target', `target name longer than ${MAX_ISCSI_NAME_BYTES} bytes`);
  }
  if (!/^(iqn|eui|naa)\./i.test(name)) throw new IscsiUrlError('target', `target name ${JSON.stringify(name)} must start with iqn., eui. or naa.`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f/]/.test(name)) throw new IscsiUrlError('target', `target name ${JSON.stringify(name)} contains a space, "/" or control character`);
}

function parseLun(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new IscsiUrlError('lun', `invalid LUN ${JSON.stringify(text)}`);
  const lun = Number(text);
  if (lun > MAX_URL_LUN) throw new IscsiUrlError('lun', `LUN ${lun} above ${MAX_URL_LUN}`);
  return lun;
}

interface Split {
  portal: IscsiPortalUrl;
  path: string;
}

function split(text: string): Split {
  const prefix = 'iscsi://';
  if (text.slice(0, prefix.length).toLowerCase() !== prefix) throw new IscsiUrlError('scheme', 'URL must start with iscsi://');
  const rest = text.slice(prefix.length);
  if (/[?#]/.test(rest)) throw new IscsiUrlError('path', 'query strings and fragments are not supported');
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? parseUserinfo(authority.slice(0, at)) : undefined;
  const { host, port } = parseHostPort(at >= 0 ? authority.slice(at + 1) : authority);
  return { portal: { ...userinfo, host, port }, path };
}

/** A full URL naming a LUN. */
export function parseIscsiUrl(text: string): IscsiUrl {
  const { portal, path } = split(text);
  const parts = path.split('/');
  // path is "/IQN/LUN" → ['', IQN, LUN]
  if (parts.length < 2 || parts[1] === '') throw new IscsiUrlError('target', 'missing target name');
  if (parts.length < 3 || parts[2] === '') throw new IscsiUrlError('lun', 'missing LUN after target name');
  if (parts.length > 3) throw new IscsiUrlError('path', 'extra path segments after LUN');
  const targetName = decode(parts[1]!, 'target name');
  checkTargetName(targetName);
  return { ...portal, targetName, lun: parseLun(parts[2]!) };
}

/** A portal URL (discovery): `iscsi://[user[:secret]@]host[:port][/]`. */
export function parseIscsiPortalUrl(text: string): IscsiPortalUrl {
  const { portal, path } = split(text);
  if (path !== '' && path !== '/') throw new IscsiUrlError('path', 'a portal URL has no target or LUN');
  return portal;
}

const encode = (s: string): string => encodeURIComponent(s);

function formatAuthority(url: IscsiPortalUrl, redact: boolean): string {
  let userinfo = '';
  if (url.user !== undefined) {
    userinfo = encode(url.user);
    if (url.secret !== undefined && url.secret !== '') userinfo += `:${redact ? '***' : encode(url.secret)}`;
    // Without ':' a '%' would read as libiscsi's user%secret separator.
    else if (userinfo.includes('%')) userinfo += ':';
    userinfo += '@';
  }
  return `${userinfo}${hostAndPort(url.host, url.port)}`;
}

/** The canonical form (standard `user:secret@`, explicit port); parses back to the same value. */
export function formatIscsiUrl(url: IscsiUrl, options: { redactSecret?: boolean } = {}): string {
  return `iscsi://${formatAuthority(url, options.redactSecret ?? false)}/${encode(url.targetName)}/${url.lun}`;
}

export function formatIscsiPortalUrl(url: IscsiPortalUrl, options: { redactSecret?: boolean } = {}): string {
  return `iscsi://${formatAuthority(url, options.redactSecret ?? false)}/`;
}
