import { defineConfig } from 'vitest/config';

// The local node's own specs (teardown, crash reaping): each starts and stops whole clusters,
// and only one node may run per machine, so they run apart from the e2e suite, before or after
// it, never beside it (`npm run e2e:node`).
export default defineConfig({
  test: {
    include: ['e2e/node/**/*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
