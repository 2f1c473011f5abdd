// Issue #12, item 4: twenty assistants adding roles to one cluster at the same moment. Each
// create is a read-modify-write of spec.managed.roles conditioned on the resourceVersion it
// read, so all but one of each round get 409; with backoff and jitter until a deadline every
// one of them lands, and none overwrites another's role.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';

let ns: string;
let mcp: StdioSession;
let api: ReturnType<typeof objectReader>;

beforeAll(async () => {
  ns = await createTestNamespace('faults-conflicts');
  api = objectReader(e2eKubeConfig(), ns);
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
  const created = await mcp.call('create_postgres_cluster', { name: 'pgc', instances: 1, storage_size: '1Gi' });
  expect(created.isError, created.text).toBe(false);
});
afterAll(async () => mcp?.close());

describe('concurrent writers of one cluster', () => {
  it('20 concurrent create_postgres_role calls all succeed and all 20 roles are stored', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `writer_${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map((role_name) => mcp.call('create_postgres_role', { cluster_name: 'pgc', role_name }, { timeout: 60_000 })));
    const failed = results.map((r, i) => ({ role: names[i], ...r })).filter((r) => r.isError);
    expect(failed.map((f) => `${f.role}: ${f.text}`)).toEqual([]);
    const stored = ((await api.get('clusters', 'pgc'))!.spec.managed.roles as { name: string }[]).map((r) => r.name).sort();
    expect(stored).toEqual(names);
    for (const role of names) expect(await api.secret(`pgc-role-${role.replace(/_/g, '-')}`), role).toBeDefined();
  }, 90_000);
});
