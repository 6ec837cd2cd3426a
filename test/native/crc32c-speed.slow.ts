import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';
import { native } from '../../src/native/index.js';

// A throughput floor measured in wall-clock time: in `npm run test:slow`, not `npm test`.
describe('crc32c throughput', () => {
  it('hashes at least 1 GB/s with SSE4.2', (ctx) => {
    const impl = native.crc32cImplementation();
    // A property of the CPU, not of Tandem: without SSE4.2 the table path has no such floor.
    if (impl !== 'sse4.2') return ctx.skip(`this CPU has no SSE4.2 (crc32c runs on the ${impl} path)`);
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
