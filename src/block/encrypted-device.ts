/**
 * A LUN's store with its data encrypted at rest (`--lun PATH,encrypt`): every 512-byte
 * sector is AES-256-XTS with the sector number as tweak, under the LUN's MediaKey, so
 * SANITIZE CRYPTO ERASE is a key change (media-key.ts). A sector stored as all zeroes is
 * read as zeroes, not decrypted: that is what a hole or a discarded range holds, and a real
 * ciphertext sector of zeroes has a chance of 2^-4096. Digests of the plaintext are not
 * offered (the challenge commands need the native digest path); `sha256` reads and hashes.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { BufferHold } from '../util/buffer-pool.js';
import { BlockIoError, allocationMapOf, type AllocationExtent, type BlockDevice } from './device.js';
import type { DigestAlgorithm } from './digest.js';
import type { MediaKey } from './media-key.js';

export const SECTOR = 512;
/** sha256 reads in pieces this large: bounded memory whatever the range. */
const DIGEST_PIECE = 1024 * 1024;

export class EncryptedDevice implements BlockDevice {
  readonly digestAlgorithms: readonly DigestAlgorithm[] = [];

  constructor(
    private readonly store: BlockDevice,
    readonly mediaKey: MediaKey,
  ) {
    if (store.size % SECTOR !== 0) throw new RangeError(`an encrypted LUN is whole ${SECTOR}-byte sectors; ${store.size} bytes is not`);
  }

  get size(): number {
    return this.store.size;
  }
  get readOnly(): boolean {
    return this.store.readOnly;
  }
  get canDiscard(): boolean {
    return this.store.canDiscard;
  }
  get path(): string {
    return this.store.path;
  }

  async read(buf: Buffer, offset: number): Promise<void> {
    checkAligned(offset, buf.length);
    await this.store.read(buf, offset);
    const key = this.mediaKey.key;
    for (let at = 0; at < buf.length; at += SECTOR) {
      const sector = buf.subarray(at, at + SECTOR);
      if (allZero(sector)) continue;
      const d = createDecipheriv('aes-256-xts', key, tweak((offset + at) / SECTOR));
      const n = d.update(sector).copy(sector);
      d.final().copy(sector, n);
    }
  }

  /** The ciphertext goes to a buffer of its own: the host's is never changed (and needs no hold past this call). */
  async write(buf: Buffer, offset: number, fua?: boolean, _hold?: BufferHold): Promise<void> {
    checkAligned(offset, buf.length);
    const out = Buffer.allocUnsafe(buf.length);
    const key = this.mediaKey.key;
    for (let at = 0; at < buf.length; at += SECTOR) {
      const c = createCipheriv('aes-256-xts', key, tweak((offset + at) / SECTOR));
      const n = c.update(buf.subarray(at, at + SECTOR)).copy(out, at);
      c.final().copy(out, at + n);
    }
    return this.store.write(out, offset, fua);
  }

  discard(offset: number, length: number): Promise<void> {
    return this.store.discard(offset, length);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.store.allocation(offset, maxLength);
  }

  allocationMap(offset: number, maxLength: number, maxExtents?: number): Promise<AllocationExtent[]> {
    return allocationMapOf(this.store, offset, maxLength, maxExtents);
  }

  async sha256(offset: number, length: number): Promise<Buffer> {
    const hash = createHash('sha256');
    const piece = Buffer.allocUnsafe(Math.min(DIGEST_PIECE, length));
    for (let done = 0; done < length; ) {
      const view = piece.subarray(0, Math.min(piece.length, length - done));
      await this.read(view, offset + done);
      hash.update(view);
      done += view.length;
    }
    return hash.digest();
  }

  digestExtents(): Promise<Buffer> {
    return Promise.reject(new BlockIoError('ENOTSUP', 95, 'an encrypted LUN offers no extent digests'));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function checkAligned(offset: number, length: number): void {
  if (offset % SECTOR !== 0 || length % SECTOR !== 0) throw new BlockIoError('EINVAL', 22, `encrypted I/O must be whole ${SECTOR}-byte sectors (offset ${offset}, length ${length})`);
}

/** XTS tweak: the sector number, little-endian in 16 bytes (as dm-crypt's plain64). */
function tweak(sector: number): Buffer {
  const t = Buffer.alloc(16);
  t.writeBigUInt64LE(BigInt(sector), 0);
  return t;
}

function allZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += 8) if (b.readBigUInt64LE(i) !== 0n) return false;
  return true;
}
