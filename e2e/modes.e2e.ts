// Safety modes enforced by the server against a real API server.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';

let allowed: string;
let other: string;
const sessions: StdioSession[] = [];

beforeAll(async () => {
  allowed = await createTestNamespace('modes-a');
  other = await createTestNamespace('modes-b');
  // A cluster in the namespace the restricted server must not touch.
  await objectReader(e2eKubeConfig(), other).createRawCluster({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg-other' },
    spec: { instances: 1, storage: { size: '1Gi' } },
  });
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

describe('modes', () => {
  it('--read-only lists only read-only tools and still reads', async () => {
    const s = await startStdioServer(inject('kubeconfigPath'), ['--read-only', '--namespace', other]);
    sessions.push(s);
    const { tools } = await s.client.listTools();
    expect(tools.length).toBeGreaterThan(5);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    const r = await s.call('get_cluster_status', { name: 'pg-other' });
    expect(r.isError, r.text).toBe(false);
  });

  it('--namespaces refuses other namespaces and leaves their objects alone', async () => {
    const s = await startStdioServer(inject('kubeconfigPath'), ['--namespaces', allowed]);
    sessions.push(s);
    const r = await s.call('scale_postgres_cluster', { name: 'pg-other', namespace: other, instances: 3 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/not allowed/);
    expect((await objectReader(e2eKubeConfig(), other).get('clusters', 'pg-other'))?.spec.instances).toBe(1);
    const list = await s.call('list_postgres_clusters', { all_namespaces: true });
    expect(list.isError, list.text).toBe(false);
    expect((list.data!.clusters as { name: string }[]).map((c) => c.name)).not.toContain('pg-other');
  });

  it('--disable-destructive drops delete tools', async () => {
    const s = await startStdioServer(inject('kubeconfigPath'), ['--disable-destructive']);
    sessions.push(s);
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('scale_postgres_cluster');
    expect(names).not.toContain('delete_postgres_cluster');
  });
});
