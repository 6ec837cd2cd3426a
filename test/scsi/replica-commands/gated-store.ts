import { createHash } from 'node:crypto';
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

  override async digestExtents(extents: Float64Array): Promise<Buffer> {
    this.batchCalls++;
    if (!this.opened) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const out = Buffer.alloc((extents.length / 2) * 32);
    for (let i = 0; i < extents.length; i += 2) {
      const data = Buffer.alloc(extents[i + 1]!);
      await this.read(data, extents[i]!);
      createHash('sha256').update(data).digest().copy(out, (i / 2) * 32);
    }
    return out;
  }
}
