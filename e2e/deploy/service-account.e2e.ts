// Issue #14: the chart's ServiceAccount and Role, in the cluster, with the server running in its
// pods (the image built from the Dockerfile). The tools work inside the namespace Role; what is
// outside it is refused by the API server itself (asked from inside the pod, with the pod's own
// token); with readOnly the write tools are gone and writes are refused; with auth.impersonate a
// principal without rights is refused.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { podsCanRun, skipReasonNoPods, e2eKubeConfig } from '../helpers/cluster.js';
import { customObjects } from '../../test-support/kube.js';
import type { Release } from '../../local-cluster/release/install.js';
import { connectClient, serverPods, useRelease } from './release.js';

const skipped = podsCanRun() ? '' : ` ${skipReasonNoPods()}`;

/**
 * Status code of a request to the API server from inside a server pod, with that pod's
 * ServiceAccount token (what the server itself sends): node's fetch in the image.
 */
async function fromPod(release: Release, method: string, path: string, body?: object): Promise<number> {
  const [pod] = await serverPods(release);
  const script = `
    const fs = require('fs'), sa = '/var/run/secrets/kubernetes.io/serviceaccount/';
    fetch('https://kubernetes.default.svc' + process.argv[1], { method: process.argv[2],
      headers: { authorization: 'Bearer ' + fs.readFileSync(sa + 'token', 'utf8'), 'content-type': 'application/json' },
      body: process.argv[3] || undefined }).then((r) => console.log(r.status), (e) => { console.log('error', e.cause?.code ?? e.message); });`;
  const out = await release.kubectl([
    'exec',
    pod!.name,
    '--',
    'env',
    'NODE_EXTRA_CA_CERTS=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    'node',
    '-e',
    script,
    path,
    method,
    body ? JSON.stringify(body) : '',
  ]);
  return Number(out.trim());
}

const clusterBody = (name: string) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
  spec: { instances: 1, storage: { size: '1Gi' } },
});

describe.skipIf(!podsCanRun())(`the chart's ServiceAccount in the cluster (default values)${skipped}`, () => {
  const release = useRelease('deploy-sa');

  it('the tools work within the namespace Role: read, create, patch and delete through the Service', async () => {
    const r = release();
    const ns = r.namespace;
    await customObjects(e2eKubeConfig()).create('Cluster', ns, clusterBody('pg-sa-read'));
    const { client } = await connectClient(r, 'streamable');
    try {
      const call = async (name: string, args: Record<string, unknown>) => {
        const result = await client.callTool({ name, arguments: args });
        expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
        return result;
      };
      const listed = await call('list_postgres_clusters', { namespace: ns });
      expect(JSON.stringify(listed.structuredContent)).toContain('pg-sa-read');
      await call('get_cluster_status', { name: 'pg-sa-read', namespace: ns });
      await call('get_cluster_events', { name: 'pg-sa-read', namespace: ns });
      await call('list_postgres_backups', { namespace: ns });
      await call('list_scheduled_backups', { namespace: ns });
      await call('list_postgres_poolers', { namespace: ns });
      await call('list_postgres_databases', { cluster_name: 'pg-sa-read', namespace: ns });
      await call('create_postgres_cluster', { name: 'pg-sa-made', namespace: ns, instances: 1, storage_size: '1Gi', storage_class: 'missing-class' });
      await call('scale_postgres_cluster', { name: 'pg-sa-made', namespace: ns, instances: 2 });
      await call('create_postgres_database', { cluster_name: 'pg-sa-made', database_name: 'appdb', owner: 'app', namespace: ns });
      await call('delete_postgres_cluster', { name: 'pg-sa-made', namespace: ns, confirm_deletion: true });
      // The objects as the API server has them now: written by the pod's ServiceAccount.
      const objects = customObjects(e2eKubeConfig());
      expect((await objects.list('Database', ns)).map((db: { metadata: { name?: string } }) => db.metadata.name).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("outside the Role the API server refuses the pod's own token: other namespaces, cluster-scoped reads, Secrets it may not write", async () => {
    const r = release();
    expect(await fromPod(r, 'GET', `/apis/postgresql.cnpg.io/v1/namespaces/${r.namespace}/clusters`)).toBe(200);
    expect(await fromPod(r, 'GET', '/apis/postgresql.cnpg.io/v1/namespaces/default/clusters')).toBe(403);
    expect(await fromPod(r, 'GET', '/api/v1/nodes')).toBe(403);
    expect(await fromPod(r, 'GET', `/apis/apps/v1/namespaces/${r.namespace}/deployments`)).toBe(403);
    expect(await fromPod(r, 'DELETE', `/api/v1/namespaces/${r.namespace}/services/${r.release}`)).toBe(403);
    // And the server refuses another namespace itself, before any API call (--namespaces).
    const { client } = await connectClient(r, 'streamable');
    const refused = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'default' } });
    await client.close();
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('default');
  });
});

describe.skipIf(!podsCanRun())(`the chart with server.readOnly: write tools gone, writes refused by the API server${skipped}`, () => {
  const release = useRelease('deploy-ro', { values: { server: { readOnly: true } } });

  it('tools/list has no write tool, and the Role lets the pod read but not create, patch or delete', async () => {
    const r = release();
    const { client } = await connectClient(r, 'streamable');
    const { tools } = await client.listTools();
    await client.close();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name)).toEqual([]);
    expect(tools.map((t) => t.name)).not.toContain('create_postgres_cluster');
    const clusters = `/apis/postgresql.cnpg.io/v1/namespaces/${r.namespace}/clusters`;
    expect(await fromPod(r, 'GET', clusters)).toBe(200);
    expect(await fromPod(r, 'POST', clusters, clusterBody('pg-ro-write'))).toBe(403);
    await customObjects(e2eKubeConfig()).create('Cluster', r.namespace, clusterBody('pg-ro-existing'));
    expect(await fromPod(r, 'DELETE', `${clusters}/pg-ro-existing`)).toBe(403);
  });
});

describe.skipIf(!podsCanRun())(`the chart with auth.impersonate: each caller acts as its own Kubernetes user${skipped}`, () => {
  // Cluster-scoped objects (the impersonate ClusterRole) carry the release name: unique per run.
  const allowed = `allowed-${randomBytes(8).toString('hex')}`;
  const denied = `denied-${randomBytes(8).toString('hex')}`;
  const release = useRelease('deploy-imp', {
    release: `cnpg-mcp-imp-${randomBytes(3).toString('hex')}`,
    values: { auth: { impersonate: true } },
    tokens: [`${allowed}:e2e-alice`, `${denied}:e2e-mallory`],
  });

  it('a principal with a RoleBinding lists clusters; one without rights is refused by the API server', async () => {
    const r = release();
    await customObjects(e2eKubeConfig()).create('Cluster', r.namespace, clusterBody('pg-imp'));
    // alice may read clusters in this namespace; mallory has nothing.
    const rbac = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'e2e-read-clusters', namespace: r.namespace },
        rules: [{ apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'e2e-alice', namespace: r.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'e2e-read-clusters' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'e2e-alice' }],
      },
    ];
    await r.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    const list = async (token: string) => {
      const { client } = await connectClient(r, 'streamable', token);
      try {
        return await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: r.namespace } });
      } finally {
        await client.close();
      }
    };
    const ok = await list(allowed);
    expect(ok.isError, JSON.stringify(ok.content)).toBeFalsy();
    expect(JSON.stringify(ok.structuredContent)).toContain('pg-imp');
    const refused = await list(denied);
    expect(refused.isError).toBe(true);
    // The API server's own refusal, naming the impersonated user.
    expect(JSON.stringify(refused.content)).toMatch(/e2e-mallory|forbidden|403/i);
  });
});
