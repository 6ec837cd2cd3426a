/**
 * Hostile connections to a target port: random bytes, iSCSI headers with absurd lengths or
 * unknown opcodes, truncated headers. Each connection is closed after a short while; we only
 * care that the target survives and keeps serving its real sessions.
 */
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

const BHS_LENGTH = 48;

/** A 48-byte Basic Header Segment with the given opcode and data segment length. */
function bhs(opcode: number, dataSegmentLength: number, flags = 0x80): Buffer {
  const b = Buffer.alloc(BHS_LENGTH);
  b[0] = opcode;
  b[1] = flags;
  b.writeUIntBE(dataSegmentLength & 0xffffff, 5, 3);
  b.writeUInt32BE(0xffffffff, 16);
  return b;
}

export const malformedPayloads: ReadonlyArray<{ name: string; bytes: Buffer }> = [
  { name: 'random 64 KiB', bytes: randomBytes(64 * 1024) },
  { name: 'HTTP request', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') },
  // Login request (0x03, immediate) claiming a 16 MiB data segment that never comes.
  { name: 'login with huge DataSegmentLength', bytes: bhs(0x43, 0xffffff) },
  // Login request whose text is not key=value pairs.
  { name: 'login with garbage text', bytes: Buffer.concat([bhs(0x43, 16), Buffer.from('\x00\x01==\xff\xfeNoEquals\x00\x00\x00')]) },
  // SCSI command before login.
  { name: 'SCSI command before login', bytes: bhs(0x01, 0) },
  { name: 'unknown opcode 0x3f', bytes: bhs(0x3f, 0) },
  { name: 'truncated header', bytes: bhs(0x43, 0).subarray(0, 20) },
];

function sendAndClose(port: number, bytes: Buffer, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (): void => {
      sock.destroy();
      resolve();
    };
    sock.on('error', done);
    sock.on('connect', () => {
      sock.write(bytes);
      setTimeout(done, holdMs);
    });
  });
}

/** Fires every payload at the port, `rounds` times, a few connections at a time. */
export async function hurlMalformedInput(port: number, rounds = 3): Promise<number> {
  let sent = 0;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(malformedPayloads.map((p) => sendAndClose(port, p.bytes, 300)));
    sent += malformedPayloads.length;
  }
  return sent;
}
