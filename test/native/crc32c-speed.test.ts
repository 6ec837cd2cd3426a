import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';
import { native } from '../../src/native/index.js';

describe('crc32c throughput', () => {
  it.runIf(native.crc32cImplementation() === 'sse4.2')('hashes at least 1 GB/s with SSE4.2', () => {
    const data = Buffer.alloc(8 << 20, 0x5a);
    crc32c(data); // warm up
    const rounds = 16;
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) crc32c(data);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // Generous floor: a shared CI core still manages several GB/s.
    expect((rounds * data.length) / seconds).toBeGreaterThan(1e9);
  });
});
