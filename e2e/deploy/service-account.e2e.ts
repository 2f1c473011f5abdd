// Issue #14: the chart's ServiceAccount and Role, in the cluster, with the server running in its
// pods (the image built from the Dockerfile). The tools work inside the namespace Role; what is
// outside it is refused by the API server itself (asked from inside the pod, with the pod's own
// token); with readOnly the write tools are gone and writes are refused; with auth.impersonate a
// principal without rights is refused.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { podsCanRun, skipReasonNoPods, e2eKubeConfig } from '../helpers/cluster.js';
import { customObjects } from '../../test-support/kube.js';
import { waitFor } from '../../test-support/wait.js';
import { importBarmanImage, type ObjectStore, startObjectStore } from '../../local-cluster/object-store/store.js';
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
  // R backs up to an S3-compatible object store on the node's address (versitygw), with
  // barman-cloud from Debian in its PostgreSQL image: in-tree spec.backup.barmanObjectStore,
  // deprecated in CNPG 1.30 in favour of the barman-cloud plugin but still run by the operator.
  let store: ObjectStore | undefined;
  let barmanImage = '';
  beforeAll(async () => {
    [store, barmanImage] = await Promise.all([startObjectStore(), importBarmanImage(inject('kubeconfigPath'))]);
  }, 900_000);
  afterAll(async () => {
    await store?.stop();
  });

  // Every tool of tools/list, in an order where each finds what it needs. C exists (not
  // reconciled, so no instance pods, no app Secret) for the tools that only read or write its
  // objects; M is created here (its storage class does not exist, so it never runs). R runs
  // PostgreSQL with a primary and a replica (a switchover needs one) and a backup configuration,
  // for the tools that need a running instance or a backup configuration.
  const C = 'pg-sa-read';
  const M = 'pg-sa-made';
  const R = 'pg-sa-run';
  const steps = (ns: string): [string, Record<string, unknown>][] => [
    ['list_postgres_clusters', { namespace: ns }],
    ['get_cluster_status', { name: C, namespace: ns }],
    ['get_cluster_events', { name: C, namespace: ns }],
    ['create_postgres_cluster', { name: M, namespace: ns, instances: 1, storage_size: '1Gi', storage_class: 'missing-class' }],
    ['scale_postgres_cluster', { name: M, namespace: ns, instances: 2 }],
    ['resize_postgres_cluster', { name: M, namespace: ns, storage_size: '2Gi' }],
    ['update_postgres_parameters', { name: M, namespace: ns, parameters: { work_mem: '8MB' } }],
    ['reload_postgres_configuration', { name: M, namespace: ns }],
    ['restart_postgres_cluster', { name: M, namespace: ns }],
    ['fence_cluster_instances', { name: M, namespace: ns, action: 'fence', instances: ['*'] }],
    ['fence_cluster_instances', { name: M, namespace: ns, action: 'unfence', instances: ['*'] }],
    ['hibernate_postgres_cluster', { name: M, namespace: ns, hibernation: 'on' }],
    ['list_postgres_backups', { namespace: ns }],
    ['list_scheduled_backups', { namespace: ns }],
    ['list_postgres_databases', { cluster_name: C, namespace: ns }],
    ['create_postgres_database', { cluster_name: C, database_name: 'appdb', owner: 'app', namespace: ns }],
    ['update_postgres_database', { cluster_name: C, database_name: 'appdb', owner: 'app2', namespace: ns }],
    ['delete_postgres_database', { cluster_name: C, database_name: 'appdb', namespace: ns }],
    ['list_postgres_roles', { cluster_name: C, namespace: ns }],
    ['create_postgres_role', { cluster_name: C, role_name: 'sa_role', login: true, namespace: ns }],
    ['update_postgres_role', { cluster_name: C, role_name: 'sa_role', connection_limit: 5, namespace: ns }],
    ['delete_postgres_role', { cluster_name: C, role_name: 'sa_role', namespace: ns }],
    ['list_postgres_poolers', { namespace: ns }],
    ['create_postgres_pooler', { cluster_name: C, name: 'pooler-sa', namespace: ns }],
    ['delete_postgres_pooler', { name: 'pooler-sa', namespace: ns }],
    ['delete_postgres_cluster', { name: M, namespace: ns, confirm_deletion: true }],
  ];
  // On R, once it is healthy: reads first, then a switchover to the replica, a restart of the
  // new replica (the old primary) and the destruction of that replica, each followed to its end
  // (wait=true) so the next one finds the Cluster healthy again.
  const runningSteps = (ns: string, primary: string, replica: string): [string, Record<string, unknown>][] => [
    ['get_connection_info', { name: R, namespace: ns }],
    ['get_replication_status', { name: R, namespace: ns }],
    ['get_cluster_logs', { name: R, namespace: ns, instance: primary, tail_lines: 20 }],
    ['promote_cluster_instance', { name: R, namespace: ns, instance: replica, wait: true, timeout: 300 }],
    ['restart_cluster_instance', { name: R, namespace: ns, instance: primary, wait: true, timeout: 300 }],
    ['destroy_cluster_instance', { name: R, namespace: ns, instance: primary, confirm_destroy: true, wait: true, timeout: 400 }],
    ['create_postgres_backup', { cluster_name: R, namespace: ns, backup_name: 'backup-sa' }],
    ['get_postgres_backup', { name: 'backup-sa', namespace: ns }],
    ['create_scheduled_backup', { cluster_name: R, namespace: ns, name: 'scheduled-sa', schedule: '0 0 0 * * *' }],
    ['delete_scheduled_backup', { name: 'scheduled-sa', namespace: ns }],
  ];

  it('every tool of tools/list works within the namespace Role through the Service: those needing a running instance on running PostgreSQL, the backup tools with a completed barman backup in an S3 object store on the node', async () => {
    const r = release();
    const ns = r.namespace;
    const objects = customObjects(e2eKubeConfig());
    await objects.create('Cluster', ns, clusterBody(C));
    await r.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'object-store', namespace: ns },
        stringData: { ACCESS_KEY_ID: store!.accessKeyId, ACCESS_SECRET_KEY: store!.secretAccessKey },
      }),
    );
    const key = (k: string) => ({ name: 'object-store', key: k });
    await objects.create('Cluster', ns, {
      metadata: { name: R },
      spec: {
        instances: 2,
        imageName: barmanImage,
        storage: { size: '1Gi' },
        backup: {
          barmanObjectStore: {
            destinationPath: `s3://${store!.bucket}/`,
            endpointURL: store!.endpoint,
            s3Credentials: { accessKeyId: key('ACCESS_KEY_ID'), secretAccessKey: key('ACCESS_SECRET_KEY') },
          },
        },
      },
    });
    const { client } = await connectClient(r, 'streamable');
    const call = async (name: string, args: Record<string, unknown>) => {
      const timeout = ((args.timeout as number | undefined) ?? 0) * 1000 + 60_000;
      const result = await client.callTool({ name, arguments: args }, { timeout, resetTimeoutOnProgress: true, onprogress: () => {} });
      const text = JSON.stringify(result.content);
      expect(text, `${name}: refused by the API server`).not.toMatch(/forbidden|\b403\b/i);
      return { result, text };
    };
    try {
      const { tools } = await client.listTools();
      const plan = [...steps(ns), ...runningSteps(ns, `${R}-1`, `${R}-2`)];
      // The plan covers tools/list exactly: a new tool fails this spec until it is driven here.
      expect([...new Set(plan.map(([name]) => name))].sort()).toEqual(tools.map((t) => t.name).sort());
      for (const [name, args] of steps(ns)) {
        const { result, text } = await call(name, args);
        expect(result.isError, `${name}: ${text}`).toBeFalsy();
      }
      // What the write tools did is in the API server: M, created by the pod's ServiceAccount, is
      // being deleted or gone (CNPG's finalizers may hold it a moment).
      const made = await objects.get('Cluster', ns, M).then(
        (cluster) => cluster.metadata?.deletionTimestamp !== undefined,
        (error: { code?: number }) => error.code === 404,
      );
      expect(made, `${M} deleted`).toBe(true);

      const healthy = await waitFor(
        async () => {
          const cluster = await objects.get('Cluster', ns, R);
          const status = cluster.status as { phase?: string; readyInstances?: number; currentPrimary?: string } | undefined;
          return status?.phase === 'Cluster in healthy state' && status.readyInstances === 2 && status.currentPrimary ? status : undefined;
        },
        { what: `Cluster ${ns}/${R} healthy with 2 ready instances`, timeoutMs: 480_000, intervalMs: 2_000 },
      );
      const primary = healthy.currentPrimary!;
      const replica = primary === `${R}-1` ? `${R}-2` : `${R}-1`;
      const data: Record<string, Record<string, unknown>> = {};
      for (const [name, args] of runningSteps(ns, primary, replica)) {
        const { result, text } = await call(name, args);
        expect(result.isError, `${name}: ${text}`).toBeFalsy();
        data[name] = (result.structuredContent ?? {}) as Record<string, unknown>;
        const wait = data[name].wait as { complete?: boolean } | undefined;
        if (args.wait) expect(wait?.complete, `${name} finished: ${text}`).toBe(true);
        if (name === 'create_postgres_backup') {
          // The operator runs barman-cloud-backup in an instance pod; get_postgres_backup (the
          // next step) then reads the completed Backup.
          const started = performance.now();
          const phase = await waitFor(
            async () => {
              const backup = await objects.get('Backup', ns, 'backup-sa');
              const status = backup.status as { phase?: string; error?: string } | undefined;
              if (status?.phase === 'failed') throw new Error(`Backup failed: ${status.error}`);
              return status?.phase === 'completed' && status.phase;
            },
            { what: `Backup ${ns}/backup-sa completed`, timeoutMs: 420_000, intervalMs: 2_000 },
          );
          console.log(`[deploy-sa] backup ${phase} ${((performance.now() - started) / 1000).toFixed(0)} s after create_postgres_backup`);
        }
      }
      // What each one read or did, from the running instances.
      expect(JSON.stringify(data.get_connection_info)).toContain(`${R}-rw`);
      expect((data.get_replication_status!.standbys as unknown[]).length, JSON.stringify(data.get_replication_status)).toBe(1);
      expect(JSON.stringify(data.get_cluster_logs).length).toBeGreaterThan(100);
      // The backup, as get_postgres_backup read it and as list_postgres_backups lists it now, and
      // its files in the bucket: barman's base backup and the archived WAL of cluster R.
      expect(data.get_postgres_backup, JSON.stringify(data.get_postgres_backup)).toMatchObject({
        name: 'backup-sa',
        cluster: R,
        method: 'barmanObjectStore',
        status: { phase: 'completed' },
      });
      const listed = await call('list_postgres_backups', { namespace: ns });
      expect(JSON.stringify(listed.result.structuredContent)).toContain('backup-sa');
      const backupId = (data.get_postgres_backup!.status as { backupId?: string }).backupId;
      expect(backupId).toBeTruthy();
      expect(existsSync(join(store!.bucketDir, R, 'base', backupId!, 'backup.info')), `${store!.bucketDir}/${R}/base/${backupId}`).toBe(true);
      expect(readdirSync(join(store!.bucketDir, R, 'wals')).length).toBeGreaterThan(0);
      expect(data.create_scheduled_backup, JSON.stringify(data.create_scheduled_backup)).toBeTruthy();
      const after = (await objects.get('Cluster', ns, R)).status as { currentPrimary?: string; phase?: string; readyInstances?: number };
      expect(after).toMatchObject({ currentPrimary: replica, phase: 'Cluster in healthy state', readyInstances: 2 });
    } finally {
      await client.close();
    }
  }, 1_500_000);

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
