/**
 * The reference copy as a local file or block device: digests of a whole list's extents
 * in one native job off the event loop, then the HMAC per entry (docs/vendor-commands.md
 * §1), so the local side costs what the responder's does.
 */
import { FileBlockStore } from '../block/file-store.js';
import { hmacSha256 } from '../block/digest.js';
import { challengeMessage, type ChallengeEntry } from '../replica-protocol/index.js';
import type { Extent } from './plan.js';

const DIGEST_BYTES = 32;

export class LocalReference {
  private constructor(
    private readonly store: FileBlockStore,
    readonly blockSize: number,
  ) {}

  static async open(path: string, blockSize: number): Promise<LocalReference> {
    return new LocalReference(await FileBlockStore.open({ path, readOnly: true }), blockSize);
  }

  get sizeBytes(): number {
    return this.store.size;
  }

  get describe(): string {
    return this.store.path;
  }

  /** V_P of each entry, in order. */
  async answers(entries: readonly ChallengeEntry[]): Promise<Buffer[]> {
    const extents = new Float64Array(entries.length * 2);
    entries.forEach((e, i) => {
      extents[2 * i] = Number(e.lba) * this.blockSize;
      extents[2 * i + 1] = e.blocks * this.blockSize;
    });
    const digests = await this.store.digestExtents(extents);
    return entries.map((e, i) =>
      hmacSha256(digests.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES), challengeMessage(e.nonce, e.lba, e.blocks)),
    );
  }

  async read(extent: Extent): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(extent.blocks * this.blockSize);
    await this.store.read(buf, extent.lba * this.blockSize);
    return buf;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
