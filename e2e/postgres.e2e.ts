// A look inside PostgreSQL (issue #15) on running pods: query_postgres through pod exec and psql,
// and get_cluster_status's per-instance table from each instance manager through the pods proxy,
// each checked against PostgreSQL itself (psql through kubectl exec, e2e/helpers/psql.ts).
// One 2-instance Cluster, created with wait; the blocks run in order on it, ending with the
// operations followed with wait=true (promote, then hibernate and wake).
// On the API-only plane (no pods) only the last two blocks run: the status degrades per instance,
// and the create options go through a server-side dry run.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig, podsCanRun, skipReasonNoPods } from './helpers/cluster.js';
import { customObjects } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { psql } from './helpers/psql.js';

const PG = 'pg';
const canRun = podsCanRun();
const title = (name: string) => (canRun ? name : `${name} ${skipReasonNoPods()}`);

interface Instance {
  instance: string;
  role: string;
  ready: boolean;
  timeline?: number;
  lsn?: string;
  replication?: { state?: string; sync_state?: string; lag_bytes?: number };
  pending_restart?: boolean;
  error?: string;
}
interface Rows {
  instance: string;
  primary: boolean;
  columns: string[];
  rows: (string | null)[][];
  truncated: boolean;
  truncated_by?: string;
}

let mcp: StdioSession;
let ns: string;
const core = () => e2eKubeConfig().makeApiClient(CoreV1Api);

describe.skipIf(!canRun)(title('PostgreSQL seen from inside, on running pods'), () => {
  beforeAll(async () => {
    ns = await createTestNamespace('postgres');
    mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns, '--allow-sql']);
    const r = await mcp.call(
      'create_postgres_cluster',
      { name: PG, instances: 2, storage_size: '1Gi', wait: true, timeout: 600 },
      { timeout: 660_000, resetTimeoutOnProgress: true, onprogress: () => undefined },
    );
    expect(r.isError, r.text).toBe(false);
    expect((r.data?.wait as { complete?: boolean } | undefined)?.complete, r.text).toBe(true);
    await psql(ns, `${PG}-1`, "CREATE TABLE kept (id int, note text); INSERT INTO kept VALUES (42, 'answer'), (7, NULL)", { database: 'app' });
  }, 900_000);
  afterAll(async () => {
    await mcp?.close();
    // Its PostgreSQL pods would share the two cores with the next spec files.
    if (ns) await deleteTestNamespace(ns);
  });

  const query = async (args: Record<string, unknown>) => mcp.call('query_postgres', { name: PG, ...args });
  const keptCount = () => psql(ns, `${PG}-1`, 'SELECT count(*) FROM kept', { database: 'app' });

  describe('get_cluster_status per instance', () => {
    it('every instance with its role, readiness, timeline and LSN, as PostgreSQL itself says', async () => {
      const r = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
      expect(r.isError, r.text).toBe(false);
      const instances = r.data?.instance_status as Instance[];
      expect(instances.map((i) => i.instance)).toEqual([`${PG}-1`, `${PG}-2`]);
      const [primary, standby] = instances as [Instance, Instance];
      expect(primary).toMatchObject({ role: 'Primary', ready: true, pending_restart: false });
      expect(primary.error).toBeUndefined();
      expect(standby.role).toMatch(/^Standby \(/);
      expect(standby.ready).toBe(true);
      // The same timeline PostgreSQL reports, and roles that match pg_is_in_recovery().
      const timeline = Number(await psql(ns, `${PG}-1`, 'SELECT timeline_id FROM pg_control_checkpoint()'));
      expect(primary.timeline).toBe(timeline);
      expect(await psql(ns, `${PG}-1`, 'SELECT pg_is_in_recovery()')).toBe('f');
      expect(await psql(ns, `${PG}-2`, 'SELECT pg_is_in_recovery()')).toBe('t');
      expect(primary.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      // The text is a table a person reads, with the WAL archiving line and the backup line.
      expect(r.text).toMatch(/Instance\s+\| Role/);
      expect(r.text).toMatch(new RegExp(`${PG}-1\\s+\\| Primary`));
      expect(r.text).toMatch(/WAL archiving: /);
      expect(r.text).toMatch(/Last successful backup: none recorded/);
      expect(['OK', 'Failing', 'Starting up', 'Disabled']).toContain((r.data!.wal_archiving as { status: string }).status);
    });

    it("the standby's replication row: streaming from the primary, with its lag in bytes", async () => {
      // Concise by default asks no instance; include_instances asks them in a concise answer too.
      const concise = await mcp.call('get_cluster_status', { name: PG });
      expect(concise.data?.instance_status).toBeUndefined();
      const r = await mcp.call('get_cluster_status', { name: PG, include_instances: true });
      const standby = (r.data!.instance_status as Instance[])[1]!;
      expect(standby.replication?.state).toBe('streaming');
      expect(standby.replication?.sync_state).toBeTruthy();
      expect(typeof standby.replication?.lag_bytes).toBe('number');
      // PostgreSQL's own pg_stat_replication names the same standby.
      expect(await psql(ns, `${PG}-1`, 'SELECT application_name FROM pg_stat_replication')).toBe(`${PG}-2`);
    });
  });

  describe('create options, as PostgreSQL applies them', () => {
    it('create_postgres_database with encoding, locale and template', { timeout: 180_000 }, async () => {
      const r = await mcp.call('create_postgres_database', {
        cluster_name: PG,
        database_name: 'legacy',
        owner: 'app',
        encoding: 'LATIN1',
        locale: 'C',
        template: 'template0',
      });
      expect(r.isError, r.text).toBe(false);
      const row = await waitFor(
        () => psql(ns, `${PG}-1`, "SELECT pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = 'legacy'"),
        { timeoutMs: 120_000, intervalMs: 2_000, what: 'database legacy in PostgreSQL' },
      );
      expect(row).toBe('LATIN1 C');
    });

    it('create_postgres_role with disable_password, bypassrls, inherit, connection_limit, valid_until', { timeout: 180_000 }, async () => {
      const r = await mcp.call('create_postgres_role', {
        cluster_name: PG,
        role_name: 'auditor',
        disable_password: true,
        bypassrls: true,
        inherit: false,
        connection_limit: 3,
        valid_until: '2040-01-01T00:00:00Z',
      });
      expect(r.isError, r.text).toBe(false);
      expect(r.data?.password_secret).toBeUndefined();
      const row = await waitFor(
        () =>
          psql(
            ns,
            `${PG}-1`,
            "SELECT concat_ws(' ', rolbypassrls, rolinherit, rolconnlimit, rolpassword IS NULL, to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD')) FROM pg_authid WHERE rolname = 'auditor'",
          ),
        { timeoutMs: 120_000, intervalMs: 2_000, what: 'role auditor in PostgreSQL' },
      );
      expect(row).toBe('t f 3 t 2040-01-01');
    });
  });

  describe('query_postgres', () => {
    it('reads from the primary by default, as pg_read_all_data in a read-only transaction; NULL stays null', async () => {
      const r = await query({ sql: "SELECT id, note, current_user AS who, current_setting('transaction_read_only') AS ro FROM kept ORDER BY id" });
      expect(r.isError, r.text).toBe(false);
      const data = r.data as unknown as Rows;
      expect(data).toMatchObject({ instance: `${PG}-1`, primary: true, truncated: false });
      expect(data.columns).toEqual(['id', 'note', 'who', 'ro']);
      expect(data.rows).toEqual([
        ['7', null, 'pg_read_all_data', 'on'],
        ['42', 'answer', 'pg_read_all_data', 'on'],
      ]);
      expect(r.text).toMatch(/2 row\(s\) from pg-1 \(primary\), database app/);
      expect(r.text).toMatch(/id\s+\| note/);
    });

    it('a named instance: the replica answers as a server in recovery, with the replicated rows', async () => {
      const r = await query({ instance: `${PG}-2`, sql: 'SELECT pg_is_in_recovery(), (SELECT count(*) FROM kept)' });
      expect(r.isError, r.text).toBe(false);
      expect(r.data).toMatchObject({ instance: `${PG}-2`, primary: false, rows: [['t', '2']] });
    });

    it('pg_monitor sees the sessions, not the tables', async () => {
      const sessions = await query({ sql: "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'walsender'", as_role: 'pg_monitor' });
      expect(sessions.isError, sessions.text).toBe(false);
      expect(sessions.data?.rows).toEqual([['t']]);
      const table = await query({ sql: 'SELECT * FROM kept', as_role: 'pg_monitor' });
      expect(table.isError).toBe(true);
      expect(table.text).toMatch(/permission denied for table kept/);
    });

    it('max_rows cuts the rows and says so', async () => {
      const r = await query({ sql: 'SELECT n FROM generate_series(1, 500) AS n', max_rows: 10 });
      expect(r.isError, r.text).toBe(false);
      expect(r.data).toMatchObject({ truncated: true, truncated_by: 'max_rows', row_count: 10 });
      expect((r.data as unknown as Rows).rows.at(-1)).toEqual(['10']);
      expect(r.text).toMatch(/more than 10 rows/);
    });

    it('the byte cap cuts a large answer and says so', async () => {
      const r = await query({ sql: "SELECT repeat('x', 400000) AS big FROM generate_series(1, 4)" });
      expect(r.isError, r.text).toBe(false);
      expect(r.data).toMatchObject({ truncated: true, truncated_by: 'max_bytes' });
      expect((r.data as unknown as Rows).rows.length).toBeLessThan(4);
    });

    it('statement_timeout ends a long statement', async () => {
      const r = await query({ sql: 'SELECT pg_sleep(30)', timeout_seconds: 1 });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/canceling statement due to statement timeout/);
    });

    it('refuses the usual escapes and changes nothing', async () => {
      const escapes = [
        'COMMIT; DROP TABLE kept',
        'SET transaction_read_only = off; DELETE FROM kept',
        'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
        'WITH d AS (DELETE FROM kept RETURNING *) SELECT * FROM d',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'",
        "SELECT set_config('transaction_read_only', 'off', false)",
        "SELECT lo_import('/etc/hostname')",
        "COPY (SELECT 1) TO PROGRAM 'id'",
        'DO $$ BEGIN DELETE FROM kept; END $$',
        'VACUUM kept',
        'CHECKPOINT',
        '\\! id',
      ];
      for (const sql of escapes) {
        const r = await query({ sql });
        expect(r.isError, sql).toBe(true);
        expect(r.text, sql).toMatch(/the SQL was refused/);
      }
      expect(await keptCount()).toBe('2');
      // The walsender the pg_terminate_backend line aimed at still streams.
      expect(await psql(ns, `${PG}-1`, 'SELECT count(*) FROM pg_stat_replication')).toBe('1');
    });

    it('an unknown instance is named with the ones there are', async () => {
      const r = await query({ instance: `${PG}-9`, sql: 'SELECT 1' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`${PG}-9 is not an instance.*\\n.*${PG}-1, ${PG}-2`));
    });

    it('without --allow-sql the tool does not exist', async () => {
      const plain = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
      try {
        const { tools } = await plain.client.listTools();
        expect(tools.map((t) => t.name)).not.toContain('query_postgres');
        expect(tools.map((t) => t.name)).toContain('get_cluster_status');
      } finally {
        await plain.close();
      }
    });
  });

  // Last: it moves the primary. The instance managers then tell the new roles and timeline.
  describe('promote_cluster_instance with wait', () => {
    it('follows the switchover to its end, with increasing progress; status and queries follow the new primary', { timeout: 420_000 }, async () => {
      const progress: number[] = [];
      const r = await mcp.call(
        'promote_cluster_instance',
        { name: PG, instance: `${PG}-2`, wait: true, timeout: 300 },
        { onprogress: (p) => progress.push(p.progress), timeout: 360_000, resetTimeoutOnProgress: true },
      );
      expect(r.isError, r.text).toBe(false);
      const wait = r.data?.wait as { complete: boolean; current_primary?: string; ready_instances: number; waited_seconds: number };
      expect(wait).toMatchObject({ complete: true, current_primary: `${PG}-2`, ready_instances: 2 });
      expect(r.text).toMatch(new RegExp(`${PG}-2 is the primary and every instance is ready after \\d+s`));
      expect(progress.length).toBeGreaterThan(0);
      for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
      // PostgreSQL agrees, at the moment the tool said it was done.
      expect(await psql(ns, `${PG}-2`, 'SELECT pg_is_in_recovery()')).toBe('f');

      const status = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
      const instances = status.data?.instance_status as Instance[];
      const promoted = instances.find((i) => i.instance === `${PG}-2`)!;
      expect(promoted.role).toBe('Primary');
      // A fresh cluster runs on timeline 1; the promoted standby starts a new one.
      expect(promoted.timeline).toBeGreaterThan(1);
      const q = await query({ sql: 'SELECT pg_is_in_recovery()' });
      expect(q.data).toMatchObject({ instance: `${PG}-2`, primary: true, rows: [['f']] });
    });
  });

  describe('hibernate_postgres_cluster with wait', () => {
    const instancePods = async () => (await core().listNamespacedPod({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG},cnpg.io/podRole=instance` })).items;

    it("'on' returns once every pod is gone; the status then says no instance answers", { timeout: 420_000 }, async () => {
      const r = await mcp.call(
        'hibernate_postgres_cluster',
        { name: PG, hibernation: 'on', wait: true, timeout: 300 },
        { timeout: 360_000, resetTimeoutOnProgress: true, onprogress: () => undefined },
      );
      expect(r.isError, r.text).toBe(false);
      expect(r.data?.wait).toMatchObject({ complete: true });
      expect(r.text).toMatch(/Hibernated \(every pod gone, volumes kept\) after \d+s/);
      expect(await instancePods()).toEqual([]);
      const status = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
      expect(status.isError, status.text).toBe(false);
      expect(status.text).toMatch(/Instances: no instance pods/);
    });

    it("'off' returns once every instance is back and ready, and the data is there", { timeout: 660_000 }, async () => {
      const r = await mcp.call(
        'hibernate_postgres_cluster',
        { name: PG, hibernation: 'off', wait: true, timeout: 600 },
        { timeout: 660_000, resetTimeoutOnProgress: true, onprogress: () => undefined },
      );
      expect(r.isError, r.text).toBe(false);
      expect(r.data?.wait).toMatchObject({ complete: true, ready_instances: 2 });
      const pods = await instancePods();
      expect(pods.map((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toEqual([true, true]);
      const q = await query({ sql: 'SELECT count(*) FROM kept' });
      expect(q.data?.rows).toEqual([['2']]);
    });
  });
});

// Where no pod runs, the Cluster's own status still answers, and the instances say why not.
describe.skipIf(canRun)(`get_cluster_status without running pods${canRun ? ' [runs only on the API-only plane: here pods run]' : ''}`, () => {
  beforeAll(async () => {
    ns = await createTestNamespace('postgres-api-only');
    mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
    await customObjects(e2eKubeConfig()).create('Cluster', ns, { metadata: { name: PG }, spec: { instances: 1, storage: { size: '1Gi' } } });
  });
  afterAll(async () => {
    await mcp?.close();
  });

  it('answers with the Cluster status and says the instances gave none', async () => {
    const r = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.name).toBe(PG);
    const instances = (r.data?.instance_status ?? []) as Instance[];
    if (instances.length === 0) expect(r.text).toMatch(/Instances: no instance pods/);
    for (const i of instances) expect(i.error, i.instance).toBeTruthy();
  });
});

// The scheduling options through the real API server and the Cluster CRD's schema: a server-side
// dry run stores nothing, needs no pod, and answers with the object as it would be stored.
describe('create_postgres_cluster scheduling options, as the API server takes them', () => {
  let session: StdioSession;
  let space: string;
  beforeAll(async () => {
    space = await createTestNamespace('postgres-options');
    session = await startStdioServer(inject('kubeconfigPath'), ['--namespace', space]);
  });
  afterAll(async () => {
    await session?.close();
  });

  it('image pull policy, node selector, tolerations and affinity land where the operator reads them', async () => {
    const r = await session.call('create_postgres_cluster', {
      name: 'sched',
      instances: 1,
      storage_size: '1Gi',
      image_pull_policy: 'IfNotPresent',
      node_selector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'postgres', effect: 'NoSchedule' }],
      affinity: { enable_pod_anti_affinity: true, topology_key: 'kubernetes.io/hostname', pod_anti_affinity_type: 'preferred' },
      dry_run: true,
    });
    expect(r.isError, r.text).toBe(false);
    const spec = (r.data!.result as { spec?: Record<string, unknown> }).spec!;
    expect(spec.imagePullPolicy).toBe('IfNotPresent');
    expect(spec.affinity).toMatchObject({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'postgres', effect: 'NoSchedule' }],
      enablePodAntiAffinity: true,
      topologyKey: 'kubernetes.io/hostname',
      podAntiAffinityType: 'preferred',
    });
    // A dry run: nothing was stored.
    await expect(customObjects(e2eKubeConfig()).get('Cluster', space, 'sched')).rejects.toMatchObject({ code: 404 });
  });
});
