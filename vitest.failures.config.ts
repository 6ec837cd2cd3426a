import { defineConfig } from 'vitest/config';

// Failure matrix of issue 5 (test/failures): real `tandem serve` primary and backup child
// processes with a fault-injecting proxy between them. They time link failures, so they
// run one file at a time in one fork; the global setup builds dist/ first.
export default defineConfig({
  test: {
    include: ['test/failures/**/*.failure.ts'],
    globalSetup: ['test/failures/build.global-setup.ts'],
    // The in-process initiator's own logs would drown the report; the children log to files.
    env: { TANDEM_LOG_LEVEL: 'warn' },
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
