import { invalidParamField } from '../sense.js';

/** SCSI protocol identifier for iSCSI (SPC-4 Table 443). */
const PROTOCOL_ISCSI = 0x5;
/** FORMAT CODE 01b: "initiator port" form, name + ",i,0x" + ISID. */
const FORMAT_PORT = 0x1;
const SEPARATOR = ',i,0x';

/** An iSCSI initiator port as named by a TransportID. */
export interface InitiatorPort {
  initiatorName: string;
  /** 12 lowercase hex digits. */
  isid: string;
}

/**
 * Encode an iSCSI TransportID, FORMAT CODE 01b (SPC-4 §7.6.4.6): the NUL-terminated
 * "name,i,0xISID" string, padded with NULs to a multiple of 4 bytes.
 */
export function encodeIscsiTransportId(port: InitiatorPort): Buffer {
  const text = Buffer.from(`${port.initiatorName}${SEPARATOR}${port.isid}`, 'utf8');
  const nameLength = Math.ceil((text.length + 1) / 4) * 4;
  const out = Buffer.alloc(4 + nameLength);
  out[0] = (FORMAT_PORT << 6) | PROTOCOL_ISCSI;
  out.writeUInt16BE(nameLength, 2);
  text.copy(out, 4);
  return out;
}

/**
 * Decode one iSCSI TransportID at `offset` of a parameter list. `fieldBase` is the
 * offset of the same bytes in the whole parameter list, so errors point at the
 * right byte. Returns the port and the TransportID's total length.
 */
export function decodeIscsiTransportId(buf: Buffer, offset: number, fieldBase: number): { port: InitiatorPort; length: number } {
  if (offset + 4 > buf.length) throw invalidParamField(fieldBase);
  const format = buf[offset]! >> 6;
  const protocol = buf[offset]! & 0x0f;
  if (protocol !== PROTOCOL_ISCSI) throw invalidParamField(fieldBase, 0);
  // Name-only TransportIDs (00b) would name every ISID of an initiator; we register ports.
  if (format !== FORMAT_PORT) throw invalidParamField(fieldBase, 6);
  const additional = buf.readUInt16BE(offset + 2);
  if (additional < 4 || additional % 4 !== 0 || offset + 4 + additional > buf.length) throw invalidParamField(fieldBase + 2);
  const body = buf.subarray(offset + 4, offset + 4 + additional);
  const nul = body.indexOf(0);
  const text = body.subarray(0, nul < 0 ? body.length : nul).toString('utf8');
  const sep = text.toLowerCase().lastIndexOf(SEPARATOR);
  if (sep <= 0) throw invalidParamField(fieldBase + 4);
  const isid = text.slice(sep + SEPARATOR.length).toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(isid)) throw invalidParamField(fieldBase + 4 + sep);
  return { port: { initiatorName: text.slice(0, sep), isid }, length: 4 + additional };
}
