import { defineConfig } from 'vitest/config';

// Tests that measure real time against real work (a throughput floor, a fuzz soak paced
// over wall-clock seconds with a memory trend and an I/O-rate floor): a machine that is
// merely busy can fail them, so they stay out of `npm test`. `npm run test:slow` runs them
// one file at a time, alone on the machine as far as we can; CI runs it after the failure matrix.
export default defineConfig({
  test: {
    include: ['test/**/*.slow.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
