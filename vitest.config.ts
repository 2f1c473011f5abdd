import { defineConfig } from 'vitest/config';

// Fast specs: no Kubernetes cluster. The e2e suite has its own config (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts'],
    testTimeout: 20_000,
    // Figures printed by benchmarks are not tests; keep output readable.
    reporters: ['default'],
  },
});
