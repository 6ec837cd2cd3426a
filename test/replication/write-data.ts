import type { WriteData } from '../../src/replication/replica-link.js';

/** A copy of a link write's bytes in one buffer (the fake links keep what they were sent). */
export function copyOfWrite(data: WriteData): Buffer {
  return Buffer.concat(Buffer.isBuffer(data) ? [data] : data);
}
