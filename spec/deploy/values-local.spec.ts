// deploy/helm/values-local.yaml (npm run deploy:local, e2e/deploy) renders what the local node
// needs: the locally built image never pulled, the Redis URL from its Secret, a node port, and no
// ClientIP affinity (every client of the machine has one address). e2e/deploy runs it for real.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cachedHelm, only, renderChart, repoRoot } from '../../test-support/helm.js';

const helm = cachedHelm();
const localValues = parse(readFileSync(join(repoRoot, 'deploy/helm/values-local.yaml'), 'utf8')) as Record<string, unknown>;

describe.skipIf(!helm)(`the chart with values-local.yaml${helm ? '' : ' [needs helm: bash scripts/build-helm.sh]'}`, () => {
  const objects = () =>
    renderChart(helm!, {
      values: { ...localValues, image: { ...(localValues.image as object), tag: 'abc123' }, service: { ...(localValues.service as object), nodePort: 30300 } },
    });

  it('runs the local image without pulling, with the Redis URL from the cnpg-mcp-redis Secret', () => {
    const container = only<V1Deployment>(objects(), 'Deployment').spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('localhost/cnpg-mcp/server:abc123');
    expect(container.imagePullPolicy).toBe('Never');
    expect(container.args).toContain('--redis-url=$(CNPG_MCP_REDIS_URL)');
    expect(container.env).toContainEqual({ name: 'CNPG_MCP_REDIS_URL', valueFrom: { secretKeyRef: { name: 'cnpg-mcp-redis', key: 'url' } } });
  });

  it('exposes a NodePort Service (the fixed port when given) without ClientIP affinity', () => {
    const service = only<V1Service>(objects(), 'Service').spec!;
    expect(service.type).toBe('NodePort');
    expect(service.sessionAffinity).toBe('None');
    expect(service.ports![0]!.nodePort).toBe(30300);
  });

  it('leaves nodePort out of a ClusterIP Service (the API server would refuse it)', () => {
    const service = only<V1Service>(renderChart(helm!, { values: { service: { type: 'ClusterIP', port: 3000, nodePort: 30300 } } }), 'Service').spec!;
    expect(service.ports![0]!.nodePort).toBeUndefined();
  });
});
