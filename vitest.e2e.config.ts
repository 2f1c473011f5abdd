import { defineConfig } from 'vitest/config';

// End-to-end specs against a real API server: the local control plane by default, or kind
// (E2E_CLUSTER=kind) / any cluster (E2E_KUBECONFIG). See docs/control-plane.md.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    // The node's teardown specs start clusters of their own: vitest.node.config.ts.
    exclude: ['e2e/node/**', '**/node_modules/**'],
    globalSetup: ['e2e/setup/global-setup.ts'],
    testTimeout: 120_000,
    // A cold build of the control plane takes minutes (cached afterwards).
    hookTimeout: 300_000,
    // One shared cluster and two cores: spec files run one after another.
    fileParallelism: false,
  },
});
