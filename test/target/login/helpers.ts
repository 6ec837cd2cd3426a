import type { TargetConfig } from '../../../src/target/config.js';
import type { LoginEnvironment, LoginStep, LoginStepReply } from '../../../src/target/login-types.js';
import { encodeTextKeys, parseTextKeys, type TextPair } from '../../../src/iscsi/text-keys.js';

export const INITIATOR = 'iqn.2024-01.org.example:initiator';
export const TARGET = 'iqn.2024-01.org.example:disk1';

export function makeTarget(overrides: Partial<TargetConfig> = {}): TargetConfig {
  return { iqn: TARGET, allow: [], ...overrides };
}

export function makeEnv(targets: TargetConfig[] = [makeTarget()], extra: Partial<LoginEnvironment> = {}): LoginEnvironment {
  return {
    findTarget: (iqn) => targets.find((t) => t.iqn === iqn),
    portalGroupTag: 1,
    limits: { maxRecvDataSegmentLength: 262144, maxBurstLength: 1048576, firstBurstLength: 262144, maxOutstandingR2T: 1 },
    ...extra,
  };
}

export function keys(record: Record<string, string>): Buffer {
  return encodeTextKeys(Object.entries(record).map(([key, value]) => ({ key, value })));
}

export function request(fields: Partial<LoginStep> & { keys?: Record<string, string> }): LoginStep {
  const { keys: k, ...rest } = fields;
  return {
    isid: Buffer.from([0x80, 0, 0, 0, 0, 1]),
    tsih: 0,
    cid: 0,
    csg: 0,
    nsg: 1,
    transit: false,
    continue: false,
    versionMax: 0,
    versionMin: 0,
    data: k ? keys(k) : Buffer.alloc(0),
    ...rest,
  };
}

export function answers(reply: LoginStepReply): Record<string, string> {
  return Object.fromEntries(parseTextKeys(reply.data).map((p: TextPair) => [p.key, p.value]));
}

export function status(reply: LoginStepReply): number {
  return (reply.statusClass << 8) | reply.statusDetail;
}

/** The operational keys libiscsi sends (lib/login.c). */
export const LIBISCSI_OPERATIONAL = {
  HeaderDigest: 'None,CRC32C',
  DataDigest: 'None',
  InitialR2T: 'No',
  ImmediateData: 'Yes',
  MaxBurstLength: '262144',
  FirstBurstLength: '262144',
  DefaultTime2Wait: '2',
  DefaultTime2Retain: '0',
  MaxOutstandingR2T: '1',
  ErrorRecoveryLevel: '0',
  IFMarker: 'No',
  OFMarker: 'No',
  MaxConnections: '1',
  MaxRecvDataSegmentLength: '262144',
  DataPDUInOrder: 'Yes',
  DataSequenceInOrder: 'Yes',
};

import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';

/** A pino logger whose lines land in an array, for asserting what was logged. */
export function captureLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Independent MD5 CHAP response, as an initiator computes it. */
export function md5ChapResponse(identifier: string, secret: string, challengeHex: string): string {
  const digest = createHash('md5')
    .update(Buffer.concat([Buffer.from([Number(identifier)]), Buffer.from(secret), Buffer.from(challengeHex.slice(2), 'hex')]))
    .digest('hex');
  return `0x${digest}`;
}
