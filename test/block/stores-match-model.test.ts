import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { SIZE, checkAgainstModel, opArb } from './store-model.js';
import { makeTempDir } from './temp-dir.js';

describe('stores agree with a flat-buffer model', () => {
  const temp = makeTempDir('model');
  afterAll(() => temp.remove());
  let run = 0;

  it('MemoryBlockStore', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 20 }), async (ops) => checkAgainstModel(new MemoryBlockStore({ size: SIZE }), ops)),
      { numRuns: 100 },
    );
  });

  it('FileBlockStore', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 20 }), async (ops) => {
        const store = await FileBlockStore.open({ path: temp.file(`img${run++}`), size: SIZE });
        try {
          await checkAgainstModel(store, ops);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
