import { defineConfig } from 'vitest/config';

// End-to-end suite: real Linux initiator in a QEMU guest (test/e2e/README.md). Each
// scenario boots its own VM, so they run one at a time in a single fork.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
