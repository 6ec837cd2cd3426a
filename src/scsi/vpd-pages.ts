/** Vital product data pages (SPC-4 §7.8, SBC-3 §6.5). */
import type { LogicalUnit } from './logical-unit.js';
import type { Nexus } from './types.js';
import type { CommandTable } from './command-table.js';
import { VENDOR_ID, asciiField } from './inquiry-data.js';
import { MAX_UNMAP_LBA_COUNT, REPLICATION_STATE_VPD_PAGE, encodeReplicationStateVpd, vendorVpdPage } from '../replica-protocol/index.js';
import { maxAtomicBlocks } from './write-atomic.js';
import { SANITIZE_OPCODE, SanitizeAction } from './sanitize/constants.js';
import {
  MAX_COMPARE_AND_WRITE_BLOCKS,
  MAX_TRANSFER_BYTES,
  MAX_UNMAP_DESCRIPTORS,
  MAX_WRITE_SAME_BLOCKS,
  OPTIMAL_TRANSFER_BYTES,
} from './limits.js';

export const VpdPage = {
  SUPPORTED: 0x00,
  UNIT_SERIAL: 0x80,
  DEVICE_IDENTIFICATION: 0x83,
  EXTENDED_INQUIRY: 0x86,
  BLOCK_LIMITS: 0xb0,
  BLOCK_DEVICE_CHARACTERISTICS: 0xb1,
  LOGICAL_BLOCK_PROVISIONING: 0xb2,
  /** Tandem's challenge-response limits and algorithms (docs/vendor-commands.md). */
  TANDEM_CHALLENGE: 0xc0,
  /** A replicated LU's role, generations and identity, for its peer (docs/vendor-commands.md §10). */
  TANDEM_REPLICATION_STATE: REPLICATION_STATE_VPD_PAGE,
} as const;

/** The pages this LU has: the replication state page only on a replicated LU. */
function supportedPages(lu: LogicalUnit): number[] {
  return Object.values(VpdPage).filter((p) => p !== VpdPage.TANDEM_REPLICATION_STATE || lu.replication !== undefined);
}

/** Which provisioning commands the command table really has, so we never advertise more. */
export interface ProvisioningSupport {
  unmap: boolean;
  /** Thin provisioned (LBPME): what UNMAP deallocates, or a read-only device that reports its holes. */
  thin: boolean;
  writeSame16: boolean;
  writeSame10: boolean;
  compareAndWrite: boolean;
  writeAtomic: boolean;
}

export function provisioningSupport(lu: LogicalUnit, table: CommandTable): ProvisioningSupport {
  const unmap = lu.device.canDiscard && table.supports(0x42);
  return {
    unmap,
    thin: unmap || (lu.device.readOnly && lu.device.reportsHoles === true),
    writeSame16: table.supports(0x93),
    writeSame10: table.supports(0x41),
    compareAndWrite: table.supports(0x89),
    writeAtomic: lu.atomicWrites !== undefined && table.supports(0x9c),
  };
}

function page(code: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[1] = code;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function designator(protocolAndCodeSet: number, pivAssocType: number, value: Buffer): Buffer {
  const h = Buffer.from([protocolAndCodeSet, pivAssocType, 0, value.length]);
  return Buffer.concat([h, value]);
}

const ISCSI_PROTOCOL = 0x5;
const CODE_SET_BINARY = 0x1;
const CODE_SET_ASCII = 0x2;
const CODE_SET_UTF8 = 0x3;

function deviceIdentification(lu: LogicalUnit, nexus: Nexus): Buffer {
  const port = Buffer.alloc(4);
  port.writeUInt16BE(lu.relativePortOf(nexus) & 0xffff, 2);
  // On a replicated LU the node's ALUA port group, which REPORT TARGET PORT GROUPS lists.
  const group = Buffer.alloc(4);
  group.writeUInt16BE(lu.portGroupOf(nexus) & 0xffff, 2);
  // SCSI name string of the target port: null-terminated, padded to a multiple of 4.
  const name = Buffer.from(`${nexus.targetName},t,0x${nexus.tpgt.toString(16).padStart(4, '0')}`, 'utf8');
  const padded = Buffer.alloc((name.length + 4) & ~3);
  name.copy(padded);
  return Buffer.concat([
    designator(CODE_SET_BINARY, 0x03, lu.identity.naa), // NAA, LU
    designator(CODE_SET_ASCII, 0x01, Buffer.concat([asciiField(VENDOR_ID, 8), Buffer.from(lu.identity.serial, 'ascii')])), // T10 vendor ID, LU
    designator((ISCSI_PROTOCOL << 4) | CODE_SET_BINARY, 0x80 | 0x10 | 0x04, port), // relative target port
    designator((ISCSI_PROTOCOL << 4) | CODE_SET_BINARY, 0x80 | 0x10 | 0x05, group), // target port group
    designator((ISCSI_PROTOCOL << 4) | CODE_SET_UTF8, 0x80 | 0x10 | 0x08, padded), // SCSI name string, target port
  ]);
}

function blockLimits(lu: LogicalUnit, support: ProvisioningSupport): Buffer {
  const b = Buffer.alloc(0x3c);
  const granularity = 1 << lu.physicalBlockExponent;
  // Offsets below are page offsets minus the 4-byte header.
  b[1] = support.compareAndWrite ? MAX_COMPARE_AND_WRITE_BLOCKS : 0;
  b.writeUInt16BE(granularity, 2);
  b.writeUInt32BE(Math.floor(MAX_TRANSFER_BYTES / lu.blockSize), 4);
  b.writeUInt32BE(Math.floor(OPTIMAL_TRANSFER_BYTES / lu.blockSize), 8);
  if (support.unmap) {
    b.writeUInt32BE(MAX_UNMAP_LBA_COUNT, 16);
    b.writeUInt32BE(MAX_UNMAP_DESCRIPTORS, 20);
    b.writeUInt32BE(granularity, 24);
  }
  if (support.writeSame16 || support.writeSame10) b.writeBigUInt64BE(BigInt(MAX_WRITE_SAME_BLOCKS), 32);
  // MAXIMUM ATOMIC TRANSFER LENGTH; ATOMIC ALIGNMENT, GRANULARITY and the boundary fields stay 0 (none).
  if (support.writeAtomic) b.writeUInt32BE(maxAtomicBlocks(lu.blockSize), 40);
  return page(VpdPage.BLOCK_LIMITS, b);
}

function logicalBlockProvisioning(lu: LogicalUnit, support: ProvisioningSupport): Buffer {
  const b = Buffer.alloc(4);
  const thin = support.thin;
  b[1] =
    (support.unmap ? 0x80 : 0) |
    (support.unmap && support.writeSame16 ? 0x40 : 0) |
    (support.unmap && support.writeSame10 ? 0x20 : 0) |
    (thin ? 0x04 : 0); // LBPRZ: a discarded range reads back as zeroes
  b[2] = thin ? 0x02 : 0x00; // provisioning type: thin / full
  return page(VpdPage.LOGICAL_BLOCK_PROVISIONING, b);
}

/** The VPD page `code`, or undefined if we do not implement it. */
export function vpdPage(code: number, lu: LogicalUnit, nexus: Nexus, table: CommandTable): Buffer | undefined {
  switch (code) {
    case VpdPage.SUPPORTED:
      return page(code, Buffer.from(supportedPages(lu)));
    case VpdPage.UNIT_SERIAL:
      return page(code, Buffer.from(lu.identity.serial, 'ascii'));
    case VpdPage.DEVICE_IDENTIFICATION:
      return page(code, deviceIdentification(lu, nexus));
    case VpdPage.EXTENDED_INQUIRY: {
      const b = Buffer.alloc(0x3c);
      b[1] = 0x07; // HEADSUP, ORDSUP, SIMPSUP
      b[2] = 0x01; // V_SUP: volatile cache present
      b[3] = 0x01; // LUICLR
      return page(code, b);
    }
    case VpdPage.BLOCK_LIMITS:
      return blockLimits(lu, provisioningSupport(lu, table));
    case VpdPage.BLOCK_DEVICE_CHARACTERISTICS: {
      const b = Buffer.alloc(0x3c);
      b.writeUInt16BE(0x0001, 0); // non-rotating medium
      // WABEREQ 01b: after a BLOCK ERASE, reads succeed (zeroes, like unmapped blocks); WACEREQ 01b:
      // after a CRYPTO ERASE too (what was written reads as noise); 00b where not offered.
      if (table.supports(SANITIZE_OPCODE, SanitizeAction.BLOCK_ERASE, lu)) b[3] |= 0x40;
      if (table.supports(SANITIZE_OPCODE, SanitizeAction.CRYPTO_ERASE, lu)) b[3] |= 0x10;
      return page(code, b);
    }
    case VpdPage.LOGICAL_BLOCK_PROVISIONING:
      return logicalBlockProvisioning(lu, provisioningSupport(lu, table));
    case VpdPage.TANDEM_CHALLENGE:
      return vendorVpdPage(lu);
    case VpdPage.TANDEM_REPLICATION_STATE:
      return lu.replication ? encodeReplicationStateVpd(lu.replication.state()) : undefined;
    default:
      return undefined;
  }
}
