/** A PDU as it travels: header, [header digest], data segment, padding, [data digest]. */
import { dataDigest, encodeDigest, headerDigest, paddingFor } from '../../../src/iscsi/pdu/segment.js';

export function wire(header: Buffer, data: Buffer, hd: boolean, dd: boolean): Buffer {
  const parts = [header];
  if (hd) parts.push(encodeDigest(headerDigest(header)));
  if (data.length > 0) {
    parts.push(data, paddingFor(data.length));
    if (dd) parts.push(encodeDigest(dataDigest(data)));
  }
  return Buffer.concat(parts);
}
