import { defineConfig } from 'vitest/config';

// The chaos soak (test/failures/chaos.soak.ts): random faults and role changes on a real
// pair for as many cycles as asked (CHAOS_CYCLES). A bug hunt over timings, so it stays out
// of `npm test` and CI; run it alone on the machine: `npm run soak`.
export default defineConfig({
  test: {
    include: ['test/**/*.soak.ts'],
    globalSetup: ['test/failures/build.global-setup.ts'],
    env: { TANDEM_LOG_LEVEL: 'warn' },
    testTimeout: 24 * 3600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
