import { statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

describe('open', () => {
  const temp = makeTempDir('open');
  afterAll(() => temp.remove());

  it('creates an absent file as a sparse file of the requested size', () => {
    const path = temp.file('new');
    const opened = native.open(path, { create: 64 << 20 });
    native.close(opened.fd);
    expect(opened).toMatchObject({ size: 64 << 20, isBlockDevice: false, logicalBlockSize: 512 });
    const st = statSync(path);
    expect(st.size).toBe(64 << 20);
    expect(st.blocks).toBe(0);
  });

  it('grows a smaller existing file but never shrinks a larger one', () => {
    const path = temp.file('existing');
    writeFileSync(path, Buffer.alloc(8192, 7));
    const grown = native.open(path, { create: 1 << 20 });
    native.close(grown.fd);
    expect(grown.size).toBe(1 << 20);
    const kept = native.open(path, { create: 4096 });
    native.close(kept.fd);
    expect(kept.size).toBe(1 << 20);
    expect(statSync(path).size).toBe(1 << 20);
  });

  it('reports the size of an existing file when no create size is given', () => {
    const path = temp.file('plain');
    writeFileSync(path, Buffer.alloc(12345));
    const opened = native.open(path, { readOnly: true });
    native.close(opened.fd);
    expect(opened.size).toBe(12345);
  });

  it('rejects a negative create size with RangeError', () => {
    expect(() => native.open(temp.file('neg'), { create: -1 })).toThrow(RangeError);
  });
});
