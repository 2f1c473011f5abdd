// Every tool, driven over stdio by the SDK's Client against a real API server with the real
// CloudNativePG operator; each effect is read back from the API, not taken from the reply.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig, podsCanRun, skipReasonNoPods } from './helpers/cluster.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';
import { intentFixtures } from './intent-fixtures.js';

let mcp: StdioSession;
let ns: string;
let api: ReturnType<typeof objectReader>;
const PG = 'pg-main';
/** Without a kubelet no cluster becomes ready, which is what the timeout path needs. */

beforeAll(async () => {
  ns = await createTestNamespace('tools');
  api = objectReader(e2eKubeConfig(), ns);
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
});
afterAll(async () => {
  await mcp?.close();
  // With a node the Clusters here run real pods: free the two cores for the next spec file.
  if (ns) await deleteTestNamespace(ns);
});

describe('clusters', () => {
  it('create_postgres_cluster dry_run validates on the server and stores nothing', async () => {
    const r = await mcp.call('create_postgres_cluster', { name: PG, instances: 2, storage_size: '1Gi', dry_run: true });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.dry_run).toBe(true);
    expect(await api.get('clusters', PG)).toBeUndefined();
  });

  it('create_postgres_cluster creates a Cluster the operator starts setting up', async () => {
    const r = await mcp.call('create_postgres_cluster', {
      name: PG,
      instances: 2,
      storage_size: '1Gi',
      database: 'orders',
      owner: 'orders_owner',
      parameters: { max_connections: '150' },
    });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.manifest).toMatchObject({ spec: { instances: 2 } });
    const stored = await api.get('clusters', PG);
    expect(stored?.spec).toMatchObject({ instances: 2, storage: { size: '1Gi' }, bootstrap: { initdb: { database: 'orders', owner: 'orders_owner' } } });
    // The operator's first phase; with a node it moves on within seconds, so any phase will do.
    await waitFor(async () => (await api.get('clusters', PG))?.status?.phase, { timeoutMs: 60_000, what: 'a status.phase from the operator' });
  });

  it('list_postgres_clusters and get_cluster_status show it as the operator reports it', async () => {
    const list = await mcp.call('list_postgres_clusters', {});
    expect(list.isError, list.text).toBe(false);
    expect((list.data!.clusters as { name: string }[]).map((c) => c.name)).toContain(PG);
    // The phase the tool reports is the one the API holds at that moment (a node moves it on).
    const status = await waitFor(
      async () => {
        const r = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
        const stored = await api.get('clusters', PG);
        return r.data?.phase === stored?.status?.phase && r;
      },
      { timeoutMs: 30_000, what: 'get_cluster_status to report the stored phase' },
    );
    expect(status.isError, status.text).toBe(false);
    expect(status.data).toMatchObject({ name: PG, namespace: ns, instances: 2, target_primary: `${PG}-1`, services: { read_write: `${PG}-rw` } });
    expect(status.text).toContain(String(status.data?.phase));
    const json = await mcp.call('get_cluster_status', { name: PG, format: 'json' });
    expect(JSON.parse(json.text)).toMatchObject({ name: PG });
  });

  // Waits longer than a watch lives, and progress that increases: e2e/faults-wait.e2e.ts.
  // No Cluster becomes ready within 5 s, with or without a node: the timeout path is what is tested.
  it('create with wait reports progress and, at the timeout, that the change is made but not complete', async () => {
    const progress: string[] = [];
    const r = await mcp.call(
      'create_postgres_cluster',
      { name: 'pg-wait', instances: 1, storage_size: '1Gi', wait: true, timeout: 5 },
      { onprogress: (p) => progress.push(String(p.message)), timeout: 30_000 },
    );
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.wait).toMatchObject({ complete: false, instances: 1, ready_instances: 0 });
    expect(r.text).toMatch(/Not finished after \d+s .*Do not repeat the call; follow it with get_cluster_status/);
    expect(progress.length).toBeGreaterThan(0);
    expect(await api.get('clusters', 'pg-wait')).toBeDefined();
  });

  it('scale_postgres_cluster patches spec.instances (dry run changes nothing)', async () => {
    const dry = await mcp.call('scale_postgres_cluster', { name: PG, instances: 4, dry_run: true });
    expect(dry.isError, dry.text).toBe(false);
    expect((await api.get('clusters', PG))?.spec.instances).toBe(2);
    const r = await mcp.call('scale_postgres_cluster', { name: PG, instances: 3 });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('clusters', PG))?.spec.instances).toBe(3);
  });

  it('resize_postgres_cluster and update_postgres_parameters patch the spec', async () => {
    expect((await mcp.call('resize_postgres_cluster', { name: PG, storage_size: '2Gi' })).isError).toBe(false);
    const p = await mcp.call('update_postgres_parameters', { name: PG, parameters: { work_mem: '8MB', max_connections: null } });
    expect(p.isError, p.text).toBe(false);
    const spec = (await api.get('clusters', PG))?.spec;
    expect(spec.storage.size).toBe('2Gi');
    expect(spec.postgresql.parameters.work_mem).toBe('8MB');
    expect(spec.postgresql.parameters.max_connections).toBeUndefined();
  });
});

describe('operations', () => {
  // The accepted switchover, and every refusal, on clusters with a status set by hand: e2e/intent-guards.e2e.ts.
  it('promote refuses while the operator is still setting up the primary, and writes nothing', async () => {
    await api.createInstancePod(PG, `${PG}-2`);
    const before = await api.get('clusters', PG);
    const r = await mcp.call('promote_cluster_instance', { name: PG, instance: `${PG}-2` });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/has no primary yet/);
    expect((await api.get('clusters', PG))?.status?.targetPrimary).toBe(before?.status?.targetPrimary);
  });

  it('restart, reload, hibernate and fence write the annotations the operator reads', async () => {
    for (const [tool, args] of [
      ['restart_postgres_cluster', {}],
      ['reload_postgres_configuration', {}],
      ['hibernate_postgres_cluster', { hibernation: 'on' }],
      ['fence_cluster_instances', { action: 'fence', instances: ['*'] }],
    ] as const) {
      const r = await mcp.call(tool, { name: PG, ...args });
      expect(r.isError, `${tool}: ${r.text}`).toBe(false);
    }
    const ann = (await api.get('clusters', PG))?.metadata.annotations ?? {};
    expect(Date.parse(ann['kubectl.kubernetes.io/restartedAt']!)).toBeGreaterThan(Date.now() - 120_000);
    expect(Date.parse(ann['cnpg.io/reloadedAt']!)).toBeGreaterThan(Date.now() - 120_000);
    expect(ann['cnpg.io/hibernation']).toBe('on');
    expect(JSON.parse(ann['cnpg.io/fencedInstances']!)).toEqual(['*']);
  });

  it('wake and unfence undo them', async () => {
    expect((await mcp.call('hibernate_postgres_cluster', { name: PG, hibernation: 'off' })).isError).toBe(false);
    expect((await mcp.call('fence_cluster_instances', { name: PG, action: 'unfence', instances: ['*'] })).isError).toBe(false);
    const ann = (await api.get('clusters', PG))?.metadata.annotations ?? {};
    expect(ann['cnpg.io/hibernation']).toBe('off');
    expect(ann['cnpg.io/fencedInstances']).toBeUndefined();
  });

  it('restart_cluster_instance deletes that instance pod only', async () => {
    const r = await mcp.call('restart_cluster_instance', { name: PG, instance: `${PG}-2` });
    expect(r.isError, r.text).toBe(false);
    await waitFor(async () => (await api.pod(`${PG}-2`)) === undefined, { timeoutMs: 10_000, what: 'pod deletion' });
  });
});

describe('backups', () => {
  it('create_postgres_backup creates a Backup the CRD schema accepts', async () => {
    // Backups need the method configured on the cluster (issue #12, item 7; refusals in e2e/intent-guards.e2e.ts).
    await intentFixtures(ns).patchClusterSpec(PG, { backup: { volumeSnapshot: { className: 'csi-snapclass' } } });
    const r = await mcp.call('create_postgres_backup', {
      cluster_name: PG,
      backup_name: 'b1',
      method: 'volumeSnapshot',
      online: true,
      target: 'prefer-standby',
    });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('backups', 'b1'))?.spec).toMatchObject({ cluster: { name: PG }, method: 'volumeSnapshot', online: true, target: 'prefer-standby' });
    const list = await mcp.call('list_postgres_backups', { cluster_name: PG });
    expect((list.data!.backups as { name: string }[]).map((b) => b.name)).toContain('b1');
    const one = await mcp.call('get_postgres_backup', { name: 'b1' });
    expect(one.isError, one.text).toBe(false);
    expect(one.data).toMatchObject({ name: 'b1', cluster: PG });
  });

  it('scheduled backups: create, list, delete; a malformed cron changes nothing', async () => {
    const bad = await mcp.call('create_scheduled_backup', { cluster_name: PG, name: 'nightly', schedule: '0 2 * * *' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/six fields/);
    expect(await api.get('scheduledbackups', 'nightly')).toBeUndefined();

    const r = await mcp.call('create_scheduled_backup', {
      cluster_name: PG,
      name: 'nightly',
      schedule: '0 0 2 * * *',
      method: 'volumeSnapshot',
      backup_owner_reference: 'self',
    });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('scheduledbackups', 'nightly'))?.spec).toMatchObject({ schedule: '0 0 2 * * *', cluster: { name: PG } });
    const list = await mcp.call('list_scheduled_backups', {});
    expect((list.data!.scheduled_backups as { name: string }[]).map((b) => b.name)).toContain('nightly');
    expect((await mcp.call('delete_scheduled_backup', { name: 'nightly' })).isError).toBe(false);
    await waitFor(async () => (await api.get('scheduledbackups', 'nightly')) === undefined, { timeoutMs: 10_000, what: 'ScheduledBackup deletion' });
  });
});

describe('roles', () => {
  it('create_postgres_role stores a generated password in a basic-auth Secret and never echoes it', async () => {
    const r = await mcp.call('create_postgres_role', { cluster_name: PG, role_name: 'reporting', createdb: false, in_roles: ['pg_monitor'] });
    expect(r.isError, r.text).toBe(false);
    const secret = await api.secret(`${PG}-role-reporting`);
    expect(secret?.type).toBe('kubernetes.io/basic-auth');
    const password = Buffer.from(secret!.data!.password!, 'base64').toString();
    expect(password).toHaveLength(32);
    expect(JSON.stringify(r)).not.toContain(password);
    const role = (await api.get('clusters', PG))?.spec.managed.roles.find((x: { name: string }) => x.name === 'reporting');
    expect(role).toMatchObject({
      name: 'reporting',
      ensure: 'present',
      login: true,
      inRoles: ['pg_monitor'],
      passwordSecret: { name: `${PG}-role-reporting` },
    });
    const list = await mcp.call('list_postgres_roles', { cluster_name: PG });
    expect((list.data!.roles as { name: string }[]).map((x) => x.name)).toContain('reporting');
  });

  it('update_postgres_role changes attributes and rotates the password', async () => {
    const before = (await api.secret(`${PG}-role-reporting`))!.data!.password;
    const r = await mcp.call('update_postgres_role', { cluster_name: PG, role_name: 'reporting', createdb: true, rotate_password: true });
    expect(r.isError, r.text).toBe(false);
    expect((await api.secret(`${PG}-role-reporting`))!.data!.password).not.toBe(before);
    const role = (await api.get('clusters', PG))?.spec.managed.roles.find((x: { name: string }) => x.name === 'reporting');
    expect(role.createdb).toBe(true);
  });

  it('delete_postgres_role sets ensure=absent and removes the Secret', async () => {
    const r = await mcp.call('delete_postgres_role', { cluster_name: PG, role_name: 'reporting' });
    expect(r.isError, r.text).toBe(false);
    const role = (await api.get('clusters', PG))?.spec.managed.roles.find((x: { name: string }) => x.name === 'reporting');
    expect(role.ensure).toBe('absent');
    expect(await api.secret(`${PG}-role-reporting`)).toBeUndefined();
  });
});

describe('databases and poolers', () => {
  it('create, list, update and delete a Database object', async () => {
    const r = await mcp.call('create_postgres_database', { cluster_name: PG, database_name: 'analytics', owner: 'orders_owner', extensions: ['pg_trgm'] });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('databases', `${PG}-analytics`))?.spec).toMatchObject({ name: 'analytics', owner: 'orders_owner', cluster: { name: PG } });
    const list = await mcp.call('list_postgres_databases', { cluster_name: PG });
    expect((list.data!.databases as { database: string }[]).map((d) => d.database)).toContain('analytics');
    expect((await mcp.call('update_postgres_database', { cluster_name: PG, database_name: 'analytics', owner: 'app' })).isError).toBe(false);
    expect((await api.get('databases', `${PG}-analytics`))?.spec.owner).toBe('app');
    expect((await mcp.call('delete_postgres_database', { cluster_name: PG, database_name: 'analytics' })).isError).toBe(false);
    await waitFor(async () => (await api.get('databases', `${PG}-analytics`)) === undefined, { timeoutMs: 10_000, what: 'Database deletion' });
  });

  it('create, list and delete a Pooler', async () => {
    const r = await mcp.call('create_postgres_pooler', { cluster_name: PG, type: 'rw', pool_mode: 'transaction', instances: 2 });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('poolers', `${PG}-pooler-rw`))?.spec).toMatchObject({ type: 'rw', instances: 2, pgbouncer: { poolMode: 'transaction' } });
    const list = await mcp.call('list_postgres_poolers', {});
    expect((list.data!.poolers as { name: string }[]).map((p) => p.name)).toContain(`${PG}-pooler-rw`);
    expect((await mcp.call('delete_postgres_pooler', { name: `${PG}-pooler-rw` })).isError).toBe(false);
    await waitFor(async () => (await api.get('poolers', `${PG}-pooler-rw`)) === undefined, { timeoutMs: 10_000, what: 'Pooler deletion' });
  });
});

describe('diagnostics', () => {
  it('get_connection_info names services and secrets; credentials only when asked', async () => {
    const r = await mcp.call('get_connection_info', { name: PG });
    expect(r.isError, r.text).toBe(false);
    expect(r.data).toMatchObject({ services: { read_write: `${PG}-rw.${ns}.svc` }, app_secret: `${PG}-app`, database: 'orders' });
    expect(r.data?.credentials).toBeUndefined();
    const withCreds = await mcp.call('get_connection_info', { name: PG, include_credentials: true });
    expect(withCreds.isError, withCreds.text).toBe(false);
    expect(withCreds.data?.credentials).toMatchObject({ username: 'orders_owner' });
  });

  it('get_cluster_events returns the events of the cluster and its objects', async () => {
    const r = await mcp.call('get_cluster_events', { name: PG });
    expect(r.isError, r.text).toBe(false);
    expect(Array.isArray(r.data?.events)).toBe(true);
  });

  it.skipIf(!podsCanRun())(`get_cluster_logs reads instance logs${podsCanRun() ? '' : ` ${skipReasonNoPods()}`}`, { timeout: 660_000 }, async () => {
    await waitFor(async () => (await mcp.call('get_cluster_status', { name: 'pg-wait' })).data?.healthy === true, {
      timeoutMs: 600_000,
      intervalMs: 2_000,
      what: 'cluster pg-wait healthy',
    });
    const r = await mcp.call('get_cluster_logs', { name: 'pg-wait', tail_lines: 20 });
    expect(r.isError, r.text).toBe(false);
    expect((r.data!.logs as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('bad input changes nothing', () => {
  it.each([
    ['an invalid name', 'create_postgres_cluster', { name: 'Bad_Name', instances: 1 }, /name/],
    ['negative instances', 'scale_postgres_cluster', { name: PG, instances: -1 }, /instances/],
    ['too many instances', 'create_postgres_cluster', { name: 'too-big', instances: 11 }, /instances/],
    ['a malformed storage size', 'create_postgres_cluster', { name: 'bad-size', storage_size: 'lots' }, /quantity/],
  ])('%s is refused with a clear error', async (_what, tool, args, message) => {
    const r = await mcp.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('nothing was created or changed by the refused calls', async () => {
    const names = (await api.list('clusters')).map((c) => c.metadata.name).sort();
    expect(names).toEqual([PG, 'pg-wait']);
    expect((await api.get('clusters', PG))?.spec.instances).toBe(3);
  });

  it('an unknown cluster is a 404 that points at the list tool', async () => {
    const r = await mcp.call('scale_postgres_cluster', { name: 'nope', instances: 2 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/HTTP 404/);
    expect(r.text).toMatch(/list_ tool/);
  });

  it('delete_postgres_cluster needs confirm_deletion, then deletes', async () => {
    const refused = await mcp.call('delete_postgres_cluster', { name: 'pg-wait' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/confirm_deletion=true/);
    expect(await api.get('clusters', 'pg-wait')).toBeDefined();
    const r = await mcp.call('delete_postgres_cluster', { name: 'pg-wait', confirm_deletion: true });
    expect(r.isError, r.text).toBe(false);
    await waitFor(async () => (await api.get('clusters', 'pg-wait')) === undefined, { timeoutMs: 30_000, what: 'Cluster deletion' });
  });
});

describe('resources', () => {
  it('cnpg://<namespace>/<name> returns the status summary and the manifest', async () => {
    const res = await mcp.client.readResource({ uri: `cnpg://${ns}/${PG}` });
    const body = JSON.parse((res.contents[0] as { text: string }).text);
    expect(body.summary).toMatchObject({ name: PG, namespace: ns });
    expect(body.manifest.spec.instances).toBe(3);
  });
});

// A Cluster the operator leaves alone (reconciliation disabled) has no pods on any cluster, with
// or without a node: what the logs tool says then holds everywhere.
describe('logs of a cluster with no running instance', () => {
  const IDLE = 'pg-idle';
  beforeAll(async () => {
    await api.createRawCluster({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: IDLE, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
  });

  it('get_cluster_logs without instance pods says so clearly', async () => {
    const r = await mcp.call('get_cluster_logs', { name: IDLE });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/no instance pods/);
  });

  it('get_cluster_logs of an instance that has not started returns an empty log instead of failing', async () => {
    await api.createInstancePod(IDLE, `${IDLE}-1`);
    const r = await mcp.call('get_cluster_logs', { name: IDLE, instance: `${IDLE}-1` });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.logs).toEqual([{ instance: `${IDLE}-1`, role: 'replica', text: '' }]);
  });
});
