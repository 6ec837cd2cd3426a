/**
 * `tandem probe URL`: what a target is (INQUIRY), how big (READ CAPACITY(16)), and whether
 * it answers Tandem's challenge commands (REPORT SUPPORTED OPERATION CODES for C1h-C3h,
 * and the limits of VPD page C0h).
 */
import { readChallengeVpd } from '../initiator/challenge.js';
import { ScsiCheckConditionError, parseStandardInquiry, type ScsiCommands } from '../initiator/index.js';
import { ALGORITHM_DIGEST, ChallengeMode, ChallengeOpcode, type ChallengeVpd } from '../replica-protocol/index.js';
import { UsageError } from '../util/usage-error.js';
import { formatBytes } from './verify/progress.js';
import { connectUrl, parseUrlArgument } from '../verify/connect.js';
import type { CommandIo } from './verify/command.js';

const REPORT_SUPPORTED_OPCODES = 0xa3;
const RSOC_SERVICE_ACTION = 0x0c;
/** REPORTING OPTIONS 001b: one command, named by opcode alone. */
const ONE_COMMAND_BY_OPCODE = 0x01;
const RSOC_ALLOCATION = 64;

/** SPC-4 Table 255 SUPPORT values. */
export type OpcodeSupport = 'unavailable' | 'unsupported' | 'standard' | 'vendor' | 'unknown' | 'not-reported';

export function rsocOneCommandCdb(opcode: number, allocationLength = RSOC_ALLOCATION): Buffer {
  const cdb = Buffer.alloc(12);
  cdb[0] = REPORT_SUPPORTED_OPCODES;
  cdb[1] = RSOC_SERVICE_ACTION;
  cdb[2] = ONE_COMMAND_BY_OPCODE;
  cdb[3] = opcode;
  cdb.writeUInt32BE(allocationLength, 6);
  return cdb;
}

export function parseOneCommandSupport(data: Buffer): OpcodeSupport {
  if (data.length < 2) return 'unknown';
  switch (data[1]! & 0x07) {
    case 0b000:
      return 'unavailable';
    case 0b001:
      return 'unsupported';
    case 0b011:
      return 'standard';
    case 0b101:
      return 'vendor';
    default:
      return 'unknown';
  }
}

async function opcodeSupport(session: ScsiCommands, lun: number, opcode: number): Promise<OpcodeSupport> {
  try {
    const r = await session.scsi(lun, rsocOneCommandCdb(opcode), { dataInLength: RSOC_ALLOCATION });
    return parseOneCommandSupport(r.dataIn ?? Buffer.alloc(0));
  } catch (e) {
    if (e instanceof ScsiCheckConditionError) return 'not-reported';
    throw e;
  }
}

export interface ProbeResult {
  vendor: string;
  product: string;
  revision: string;
  blockSize: number;
  blockCount: string;
  bytes: number;
  commands: { challenge: OpcodeSupport; sendChallengeList: OpcodeSupport; receiveChallengeAnswers: OpcodeSupport };
  /** Absent when the target has no Tandem C0h page. */
  challengeVpd?: ChallengeVpd;
  challengeVpdError?: string;
}

export async function runProbe(urlText: string): Promise<ProbeResult> {
  const url = parseUrlArgument(urlText, 'URL');
  const session = await connectUrl(url);
  try {
    const inquiry = parseStandardInquiry(await session.inquiry(url.lun));
    const capacity = await session.readCapacity16(url.lun);
    const commands = {
      challenge: await opcodeSupport(session, url.lun, ChallengeOpcode.CHALLENGE),
      sendChallengeList: await opcodeSupport(session, url.lun, ChallengeOpcode.SEND_CHALLENGE_LIST),
      receiveChallengeAnswers: await opcodeSupport(session, url.lun, ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS),
    };
    let vpd: ChallengeVpd | undefined;
    let vpdError: string | undefined;
    try {
      vpd = await readChallengeVpd(session, url.lun);
    } catch (e) {
      vpdError = (e as Error).message;
    }
    return {
      vendor: inquiry.vendor,
      product: inquiry.product,
      revision: inquiry.revision,
      blockSize: capacity.blockSize,
      blockCount: capacity.blockCount.toString(),
      bytes: Number(capacity.blockCount) * capacity.blockSize,
      commands,
      ...(vpd ? { challengeVpd: vpd } : {}),
      ...(vpdError !== undefined ? { challengeVpdError: vpdError } : {}),
    };
  } finally {
    await session.logout().catch(() => session.destroy());
  }
}

const ALGORITHM_NAMES: Readonly<Record<number, string>> = ALGORITHM_DIGEST;
const MODE_NAMES: Readonly<Record<number, string>> = { [ChallengeMode.HMAC]: 'hmac', [ChallengeMode.REVERSIBLE]: 'reversible' };

export function formatProbe(p: ProbeResult): string {
  const hex = (n: number): string => `${n.toString(16).toUpperCase().padStart(2, '0')}h`;
  const lines = [
    `vendor    ${p.vendor}`,
    `product   ${p.product}`,
    `revision  ${p.revision}`,
    `capacity  ${p.blockCount} blocks x ${p.blockSize} bytes = ${p.bytes} bytes (${formatBytes(p.bytes)})`,
    `C1h CHALLENGE                  ${p.commands.challenge}`,
    `C2h SEND CHALLENGE LIST        ${p.commands.sendChallengeList}`,
    `C3h RECEIVE CHALLENGE ANSWERS  ${p.commands.receiveChallengeAnswers}`,
  ];
  const v = p.challengeVpd;
  if (v) {
    // Codes with their names (docs/vendor-commands.md): what an operator compares with --algorithm.
    const algorithms = v.algorithms.map((a) => `${a} ${ALGORITHM_NAMES[a] ?? 'unknown'}`);
    const modes = v.modes.map((m) => `${m} ${MODE_NAMES[m] ?? 'unknown'}`);
    lines.push(
      `VPD C0h   version ${v.version}, algorithms [${algorithms.join(', ')}], modes [${modes.join(', ')}], opcodes ${hex(v.opcodes.challenge)}/${hex(v.opcodes.sendList)}/${hex(v.opcodes.receiveAnswers)}`,
      `          CHALLENGE max extent ${v.singleMaxBlocks} blocks; list: max ${v.maxEntriesPerList} entries of up to ${v.maxExtentBlocks} blocks`,
      `          outstanding lists: ${v.maxListsPerNexus} per session, ${v.maxListsPerLu} per LU; block length ${v.blockSize}`,
    );
  } else {
    lines.push(`VPD C0h   absent (${p.challengeVpdError ?? 'no page'})`);
  }
  return `${lines.join('\n')}\n`;
}

export async function probeCommand(args: { url: string; json?: boolean }, io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const p = await runProbe(args.url);
    io.stdout.write(args.json ? `${JSON.stringify(p)}\n` : formatProbe(p));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.stderr.write(`tandem probe: ${(e as Error).message}\n`);
    return 3;
  }
}
