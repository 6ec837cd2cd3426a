/**
 * The reference copy as a local file or block device (or any BlockDevice, e.g. an RBD image): digests of a whole list's extents
 * in one native job off the event loop, then the HMAC per entry (docs/vendor-commands.md
 * §1), so the local side costs what the responder's does.
 */
import { allocationMapOf, type BlockDevice } from '../block/device.js';
import type { AllocationQuery } from './allocation.js';
import { FileBlockStore } from '../block/file-store.js';
import { ALGORITHM_DIGEST, type ChallengeAlgorithmCode, type ChallengeEntry } from '../replica-protocol/index.js';
import { LOCAL_ALGORITHMS, answersFromDigests } from './local-answers.js';
import type { Extent } from './plan.js';

export class LocalReference {
  private constructor(
    private readonly store: BlockDevice,
    readonly blockSize: number,
  ) {}

  static async open(path: string, blockSize: number): Promise<LocalReference> {
    return new LocalReference(await FileBlockStore.open({ path, readOnly: true }), blockSize);
  }

  /** Over a store the caller opened (read-only, e.g. an RBD image's second handle); close() closes it. */
  static over(store: BlockDevice, blockSize: number): LocalReference {
    return new LocalReference(store, blockSize);
  }

  get sizeBytes(): number {
    return this.store.size;
  }

  get describe(): string {
    return this.store.path;
  }

  get algorithms(): readonly ChallengeAlgorithmCode[] {
    return LOCAL_ALGORITHMS;
  }

  /** V_P of each entry, in order. */
  async answers(entries: readonly ChallengeEntry[], algorithm: ChallengeAlgorithmCode): Promise<Buffer[]> {
    const extents = new Float64Array(entries.length * 2);
    entries.forEach((e, i) => {
      extents[2 * i] = Number(e.lba) * this.blockSize;
      extents[2 * i + 1] = e.blocks * this.blockSize;
    });
    return answersFromDigests(await this.store.digestExtents(extents, ALGORITHM_DIGEST[algorithm]), entries, algorithm);
  }

  /** A sparse file's holes read as zeroes: what SEEK_DATA/SEEK_HOLE finds (an RBD image: its allocation). */
  readonly allocation: AllocationQuery = (offset, maxLength) => allocationMapOf(this.store, offset, maxLength);

  async read(extent: Extent): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(extent.blocks * this.blockSize);
    await this.store.read(buf, extent.lba * this.blockSize);
    return buf;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
