import type { DigestAlgorithm } from '../../../src/block/digest.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';

/**
 * A memory store whose batch digestExtents waits until the test opens the gate: lets
 * tests observe a list while it is "hashing".
 */
export class GatedStore extends MemoryBlockStore {
  batchCalls = 0;
  private opened = true;
  private waiters: (() => void)[] = [];

  closeGate(): void {
    this.opened = false;
  }

  openGate(): void {
    this.opened = true;
    for (const w of this.waiters.splice(0)) w();
  }

  override async digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    this.batchCalls++;
    if (!this.opened) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return super.digestExtents(extents, algorithm);
  }
}
