// Every tool against running PostgreSQL: a real 2-instance Cluster on the local node (or kind),
// driven through the MCP tools over stdio, each effect read back from Kubernetes and, where it is
// about PostgreSQL, from PostgreSQL itself (psql through pod exec). The blocks run in order on one
// Cluster, as an operator's day would; each leaves the Cluster healthy for the next.
// Skipped, with the reason in the name, only where the local cluster runs API-only.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterKind, createTestNamespace, deleteTestNamespace, e2eKubeConfig, podsCanRun, skipReasonNoPods } from './helpers/cluster.js';
import { customObjects } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { podExec, psql } from './helpers/psql.js';

const PG = 'pg';
const canRun = podsCanRun();
const title = (name: string) => (canRun ? name : `${name} ${skipReasonNoPods()}`);
/** Operations on 2 busy cores: a switchover takes 15–20 s, a rolling restart a minute or two. */
const OPERATION_MS = 300_000;

let mcp: StdioSession;
let ns: string;
let core: CoreV1Api;

const instancePods = async (): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG},cnpg.io/podRole=instance` })).items;
const podReady = (pod: V1Pod | undefined) => pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const cluster = () => customObjects(e2eKubeConfig()).get('Cluster', ns, PG);
const status = async () => {
  const r = await mcp.call('get_cluster_status', { name: PG, detail_level: 'detailed' });
  expect(r.isError, r.text).toBe(false);
  return r.data as { healthy: boolean; ready_instances: number; instances: number; current_primary?: string; fenced_instances: string[]; phase: string };
};
const primary = async () => (await cluster()).status?.currentPrimary as string;
const replicas = async () => {
  const current = await primary();
  return (await instancePods())
    .map((p) => p.metadata!.name!)
    .filter((name) => name !== current)
    .sort();
};
/** PostgreSQL's own start time: changes only when the postmaster restarts. */
const startedAt = (pod: string) => psql(ns, pod, 'SELECT pg_postmaster_start_time()');
const inRecovery = async (pod: string) => (await psql(ns, pod, 'SELECT pg_is_in_recovery()')) === 't';
const waitHealthy = (what: string, expectInstances?: number) =>
  waitFor(
    async () => {
      const s = await status();
      return s.healthy && s.ready_instances === (expectInstances ?? s.instances) && (await instancePods()).every(podReady);
    },
    { timeoutMs: OPERATION_MS, intervalMs: 2_000, what },
  );

describe.skipIf(!canRun)(title('a Cluster on running PostgreSQL'), () => {
  // Inside the skipped block: without pods these hooks do not run at all.
  beforeAll(async () => {
    ns = await createTestNamespace('pods');
    core = e2eKubeConfig().makeApiClient(CoreV1Api);
    mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
  });
  afterAll(async () => {
    await mcp?.close();
    // Its PostgreSQL and PgBouncer pods would share the two cores with the next spec files.
    if (ns) await deleteTestNamespace(ns);
  });

  it('create_postgres_cluster with wait reports increasing progress and ends with every instance ready', { timeout: 900_000 }, async () => {
    const progress: number[] = [];
    const r = await mcp.call(
      'create_postgres_cluster',
      { name: PG, instances: 2, storage_size: '1Gi', wait: true, timeout: 600 },
      { onprogress: (p) => progress.push(p.progress), timeout: 660_000, resetTimeoutOnProgress: true },
    );
    expect(r.isError, r.text).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    const s = await status();
    expect(s).toMatchObject({ healthy: true, ready_instances: 2, instances: 2, current_primary: `${PG}-1` });
    // The roles as PostgreSQL and the pods' labels tell them.
    expect(await inRecovery(`${PG}-1`)).toBe(false);
    expect(await inRecovery(`${PG}-2`)).toBe(true);
    const roles = Object.fromEntries((await instancePods()).map((p) => [p.metadata!.name, p.metadata!.labels?.['cnpg.io/instanceRole']]));
    expect(roles).toEqual({ [`${PG}-1`]: 'primary', [`${PG}-2`]: 'replica' });
    // The default StorageClass made the volumes: nothing in the Cluster named one.
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG}` });
    expect(claims.items.map((c) => c.status?.phase)).toEqual(['Bound', 'Bound']);
    await psql(ns, `${PG}-1`, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)', { database: 'app' });
  });

  describe('the network pods see', () => {
    it('cluster names resolve; names off the machine do not (no resolver forwards off it)', async () => {
      expect(await podExec(ns, `${PG}-1`, ['getent', 'hosts', 'kubernetes.default.svc.cluster.local'])).toMatch(/^10\.96\.0\.1\s/);
      expect(await podExec(ns, `${PG}-1`, ['getent', 'hosts', `${PG}-rw`])).toMatch(/^10\.96\./);
      await expect(podExec(ns, `${PG}-1`, ['getent', 'hosts', 'deb.debian.org'])).rejects.toThrow();
    });

    it.skipIf(clusterKind() !== 'local')(
      `pod traffic to anywhere but the pod bridge is dropped before it can leave the machine${clusterKind() === 'local' ? '' : ' [local node only]'}`,
      async () => {
        const { execFileSync } = await import('node:child_process');
        const { forwardChain, podBridge } = await import('../local-cluster/node/layout.js');
        for (const iptables of ['iptables', 'ip6tables']) {
          const forward = execFileSync(iptables, ['-t', 'mangle', '-S', 'FORWARD'], { encoding: 'utf8' }).split('\n');
          expect(forward[1], `${iptables}: our chain comes first in mangle FORWARD`).toBe(`-A FORWARD -j ${forwardChain}`);
          expect(execFileSync(iptables, ['-t', 'mangle', '-S', forwardChain], { encoding: 'utf8' }).split('\n').slice(1, 4)).toEqual([
            `-A ${forwardChain} -i ${podBridge} -o ${podBridge} -j RETURN`,
            `-A ${forwardChain} -i ${podBridge} -j DROP`,
            `-A ${forwardChain} -o ${podBridge} -j DROP`,
          ]);
        }
        // Forwarding is on for the pod bridge; the global setting is what it was before the node.
        const { readFileSync } = await import('node:fs');
        const { readRecord } = await import('../local-cluster/node/record.js');
        expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(readRecord()?.sysctls['net/ipv4/ip_forward']);
        expect(readFileSync(`/proc/sys/net/ipv4/conf/${podBridge}/forwarding`, 'utf8').trim()).toBe('1');
      },
    );
  });

  describe('databases and roles, as PostgreSQL sees them', () => {
    it('create_postgres_database: the database exists with its owner', async () => {
      const r = await mcp.call('create_postgres_database', { cluster_name: PG, database_name: 'shop', owner: 'app' });
      expect(r.isError, r.text).toBe(false);
      const owner = await waitFor(() => psql(ns, `${PG}-1`, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop'"), {
        timeoutMs: 120_000,
        intervalMs: 2_000,
        what: 'database shop in PostgreSQL',
      });
      expect(owner).toBe('app');
    });

    it('create_postgres_role: the role logs in with the password from its Secret; a rotation takes effect', { timeout: 300_000 }, async () => {
      const r = await mcp.call('create_postgres_role', { cluster_name: PG, role_name: 'reporter', login: true });
      expect(r.isError, r.text).toBe(false);
      const secretName = r.data?.password_secret as string;
      const password = async () => {
        const secret = await core.readNamespacedSecret({ namespace: ns, name: secretName });
        return Buffer.from(secret.data!.password!, 'base64').toString('utf8');
      };
      const login = (pass: string) => psql(ns, `${PG}-1`, 'SELECT current_user', { host: `${PG}-rw`, user: 'reporter', password: pass, database: 'app' });
      const first = await password();
      expect(await waitFor(() => login(first), { timeoutMs: 120_000, intervalMs: 2_000, what: 'reporter to log in' })).toBe('reporter');

      const rotated = await mcp.call('update_postgres_role', { cluster_name: PG, role_name: 'reporter', rotate_password: true });
      expect(rotated.isError, rotated.text).toBe(false);
      const second = await password();
      expect(second).not.toBe(first);
      await waitFor(() => login(second), { timeoutMs: 120_000, intervalMs: 2_000, what: 'reporter to log in with the rotated password' });
      await expect(login(first)).rejects.toThrow(/password authentication failed/);
    });

    it('delete_postgres_role and delete_postgres_database remove them from PostgreSQL', { timeout: 300_000 }, async () => {
      const role = await mcp.call('delete_postgres_role', { cluster_name: PG, role_name: 'reporter' });
      expect(role.isError, role.text).toBe(false);
      await waitFor(async () => (await psql(ns, `${PG}-1`, "SELECT count(*) FROM pg_roles WHERE rolname = 'reporter'")) === '0', {
        timeoutMs: 120_000,
        intervalMs: 2_000,
        what: 'role reporter to be dropped',
      });
      const db = await mcp.call('delete_postgres_database', { cluster_name: PG, database_name: 'shop', drop: true });
      expect(db.isError, db.text).toBe(false);
      await waitFor(async () => (await psql(ns, `${PG}-1`, "SELECT count(*) FROM pg_database WHERE datname = 'shop'")) === '0', {
        timeoutMs: 120_000,
        intervalMs: 2_000,
        what: 'database shop to be dropped',
      });
    });
  });

  describe('diagnostics', () => {
    it('get_connection_info: the returned host and credentials connect and run a query', async () => {
      const r = await mcp.call('get_connection_info', { name: PG, include_credentials: true });
      expect(r.isError, r.text).toBe(false);
      const data = r.data as { services: { read_write: string }; port: number; database: string; credentials: { username: string; password: string } };
      const answer = await psql(ns, `${PG}-2`, "SELECT current_user || '@' || current_database()", {
        host: data.services.read_write,
        port: data.port,
        user: data.credentials.username,
        password: data.credentials.password,
        database: data.database,
      });
      expect(answer).toBe(`${data.credentials.username}@${data.database}`);
    });

    it('get_cluster_logs returns PostgreSQL log lines of each instance', async () => {
      const r = await mcp.call('get_cluster_logs', { name: PG, tail_lines: 200 });
      expect(r.isError, r.text).toBe(false);
      const logs = r.data?.logs as { instance: string; text: string }[];
      expect(logs.map((l) => l.instance).sort()).toEqual([`${PG}-1`, `${PG}-2`]);
      // The instance manager writes JSON lines; PostgreSQL's own records carry logger "postgres".
      for (const log of logs) expect(log.text).toMatch(/"logger":"postgres"/);
    });

    it('get_cluster_events returns events of the kubelet and the operator', async () => {
      const r = await mcp.call('get_cluster_events', { name: PG, format: 'json', limit: 500 });
      expect(r.isError, r.text).toBe(false);
      const text = JSON.stringify(r.data);
      expect(text).toMatch(/cloudnative-pg|CreatingPod|CreatingInstance/i);
      // The kubelet's own events (Pulled/Created/Started) about the instance pods.
      const events = await core.listNamespacedEvent({ namespace: ns });
      expect(events.items.some((e) => e.source?.component === 'kubelet' || e.reportingComponent === 'kubelet')).toBe(true);
    });
  });

  describe('configuration', () => {
    it('update_postgres_parameters: a reloadable parameter applies without a restart', { timeout: OPERATION_MS }, async () => {
      const before = await startedAt(`${PG}-1`);
      const r = await mcp.call('update_postgres_parameters', { name: PG, parameters: { work_mem: '8MB' } });
      expect(r.isError, r.text).toBe(false);
      for (const pod of [`${PG}-1`, `${PG}-2`]) {
        await waitFor(async () => (await psql(ns, pod, 'SHOW work_mem')) === '8MB', { timeoutMs: 120_000, intervalMs: 2_000, what: `work_mem on ${pod}` });
      }
      expect(await startedAt(`${PG}-1`)).toBe(before);
    });

    it('reload_postgres_configuration: the operator reloads, PostgreSQL keeps running', { timeout: OPERATION_MS }, async () => {
      const before = await startedAt(`${PG}-1`);
      const r = await mcp.call('reload_postgres_configuration', { name: PG });
      expect(r.isError, r.text).toBe(false);
      expect((await cluster()).metadata.annotations?.['cnpg.io/reloadedAt']).toBeTruthy();
      await waitHealthy('the cluster healthy after a reload');
      expect(await startedAt(`${PG}-1`)).toBe(before);
    });

    it('update_postgres_parameters: a parameter that needs a restart is applied after the restart', { timeout: 600_000 }, async () => {
      const r = await mcp.call('update_postgres_parameters', { name: PG, parameters: { max_connections: '120' } });
      expect(r.isError, r.text).toBe(false);
      for (const pod of [`${PG}-1`, `${PG}-2`]) {
        await waitFor(async () => (await psql(ns, pod, 'SHOW max_connections').catch(() => '')) === '120', {
          timeoutMs: 480_000,
          intervalMs: 3_000,
          what: `max_connections=120 on ${pod} after its restart`,
        });
      }
      await waitHealthy('the cluster healthy after the restart');
    });
  });

  describe('switchover', () => {
    it('refuses the current primary and an unknown instance, changing nothing', async () => {
      const before = await cluster();
      const current = before.status?.currentPrimary as string;
      const self = await mcp.call('promote_cluster_instance', { name: PG, instance: current });
      expect(self.isError).toBe(true);
      expect(self.text).toMatch(/already the primary/i);
      const unknown = await mcp.call('promote_cluster_instance', { name: PG, instance: `${PG}-9` });
      expect(unknown.isError).toBe(true);
      expect(unknown.text).toContain(`${PG}-9`);
      const after = await cluster();
      expect(after.status?.targetPrimary).toBe(before.status?.targetPrimary);
      expect(after.status?.phase).toBe(before.status?.phase);
    });

    it('promote_cluster_instance: the operator completes it and the old primary is a replica; a second one meanwhile is refused', {
      timeout: OPERATION_MS,
    }, async () => {
      const old = await primary();
      const [target] = await replicas();
      const r = await mcp.call('promote_cluster_instance', { name: PG, instance: target });
      expect(r.isError, r.text).toBe(false);
      const second = await mcp.call('promote_cluster_instance', { name: PG, instance: old });
      expect(second.isError, second.text).toBe(true);
      expect((await cluster()).status?.targetPrimary).toBe(target);
      await waitFor(async () => (await status()).current_primary === target, {
        timeoutMs: OPERATION_MS,
        intervalMs: 2_000,
        what: `${target} to become the primary`,
      });
      await waitHealthy('the cluster healthy after the switchover');
      expect(await inRecovery(target!)).toBe(false);
      await waitFor(() => inRecovery(old), { timeoutMs: 120_000, intervalMs: 2_000, what: `${old} to follow as a replica` });
    });
  });

  describe('restarts', () => {
    it('restart_cluster_instance recreates one replica; the cluster is healthy again', { timeout: OPERATION_MS }, async () => {
      const [replica] = await replicas();
      const before = (await core.readNamespacedPod({ namespace: ns, name: replica! })).metadata!.uid;
      const r = await mcp.call('restart_cluster_instance', { name: PG, instance: replica });
      expect(r.isError, r.text).toBe(false);
      await waitFor(
        async () => {
          const pod = await core.readNamespacedPod({ namespace: ns, name: replica! }).catch(() => undefined);
          return pod?.metadata?.uid !== before && podReady(pod);
        },
        { timeoutMs: OPERATION_MS, intervalMs: 2_000, what: `${replica} recreated and ready` },
      );
      await waitHealthy('the cluster healthy after the replica restart');
    });

    it('restart_postgres_cluster restarts every instance (new PostgreSQL start times) and ends healthy', { timeout: 600_000 }, async () => {
      const pods = (await instancePods()).map((p) => p.metadata!.name!);
      const before = Object.fromEntries(await Promise.all(pods.map(async (pod) => [pod, await startedAt(pod)] as const)));
      const r = await mcp.call('restart_postgres_cluster', { name: PG });
      expect(r.isError, r.text).toBe(false);
      for (const pod of pods) {
        await waitFor(
          async () => {
            const now = await startedAt(pod).catch(() => undefined);
            return now !== undefined && now !== before[pod];
          },
          { timeoutMs: 480_000, intervalMs: 3_000, what: `${pod} to restart` },
        );
      }
      await waitHealthy('the cluster healthy after the rolling restart');
    });
  });

  describe('scale', () => {
    it('scale_postgres_cluster 2 → 3 → 2', { timeout: 600_000 }, async () => {
      const up = await mcp.call('scale_postgres_cluster', { name: PG, instances: 3 });
      expect(up.isError, up.text).toBe(false);
      await waitHealthy('three ready instances', 3);
      expect(await instancePods()).toHaveLength(3);
      const newest = (await instancePods())
        .map((p) => p.metadata!.name!)
        .sort()
        .at(-1)!;
      expect(await inRecovery(newest)).toBe(true);
      const down = await mcp.call('scale_postgres_cluster', { name: PG, instances: 2 });
      expect(down.isError, down.text).toBe(false);
      await waitFor(async () => (await instancePods()).length === 2, { timeoutMs: OPERATION_MS, intervalMs: 2_000, what: 'back to two pods' });
      await waitHealthy('two ready instances', 2);
    });
  });

  describe('fencing', () => {
    it('fence_cluster_instances stops PostgreSQL of one instance, status says fenced; unfence brings it back', { timeout: 600_000 }, async () => {
      const [replica] = await replicas();
      const r = await mcp.call('fence_cluster_instances', { name: PG, action: 'fence', instances: [replica] });
      expect(r.isError, r.text).toBe(false);
      expect((await status()).fenced_instances).toEqual([replica]);
      // A fenced instance's PostgreSQL is shut down; the pod stays, not ready.
      await waitFor(async () => !podReady(await core.readNamespacedPod({ namespace: ns, name: replica! })), {
        timeoutMs: OPERATION_MS,
        intervalMs: 2_000,
        what: `${replica} to go down`,
      });
      await expect(psql(ns, replica!, 'SELECT 1')).rejects.toThrow();
      const back = await mcp.call('fence_cluster_instances', { name: PG, action: 'unfence', instances: [replica] });
      expect(back.isError, back.text).toBe(false);
      expect((await status()).fenced_instances).toEqual([]);
      await waitHealthy('the cluster healthy after unfencing');
      expect(await psql(ns, replica!, 'SELECT 1')).toBe('1');
    });
  });

  describe('hibernation', () => {
    it('hibernate on removes the pods and keeps the volumes; off brings the cluster back with its data', { timeout: 600_000 }, async () => {
      const on = await mcp.call('hibernate_postgres_cluster', { name: PG, hibernation: 'on' });
      expect(on.isError, on.text).toBe(false);
      await waitFor(async () => (await instancePods()).length === 0, { timeoutMs: OPERATION_MS, intervalMs: 2_000, what: 'the pods to go' });
      const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG}` });
      expect(claims.items).toHaveLength(2);
      // The operator records hibernation as a condition (the phase stays); the tool says hibernated, not healthy.
      await waitFor(async () => (await cluster()).status?.conditions?.some((c) => c.type === 'cnpg.io/hibernation' && c.status === 'True'), {
        timeoutMs: 60_000,
        what: 'condition cnpg.io/hibernation=True',
      });
      expect(await status()).toMatchObject({ hibernated: true, healthy: false });

      const off = await mcp.call('hibernate_postgres_cluster', { name: PG, hibernation: 'off' });
      expect(off.isError, off.text).toBe(false);
      await waitHealthy('the cluster healthy after waking up', 2);
      expect(await psql(ns, await primary(), 'SELECT id FROM kept', { database: 'app' })).toBe('42');
    });
  });

  describe('failover', () => {
    it('deleting the primary pod promotes a replica; the tools report the new primary', { timeout: OPERATION_MS }, async () => {
      const old = await primary();
      await core.deleteNamespacedPod({ namespace: ns, name: old, gracePeriodSeconds: 0 });
      const promoted = await waitFor(
        async () => {
          const now = (await status()).current_primary;
          return now && now !== old ? now : undefined;
        },
        { timeoutMs: OPERATION_MS, intervalMs: 2_000, what: `a replica to replace ${old} as primary` },
      );
      expect(await inRecovery(promoted)).toBe(false);
      await waitHealthy('the cluster healthy after the failover');
      expect(await psql(ns, promoted, 'SELECT id FROM kept', { database: 'app' })).toBe('42');
    });
  });

  describe('poolers', () => {
    it('create_postgres_pooler: the PgBouncer pod becomes ready and a query through its Service works', { timeout: OPERATION_MS }, async () => {
      const r = await mcp.call('create_postgres_pooler', { cluster_name: PG, name: `${PG}-pooler-rw`, type: 'rw', instances: 1 });
      expect(r.isError, r.text).toBe(false);
      await waitFor(
        async () => {
          const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `cnpg.io/poolerName=${PG}-pooler-rw` });
          return pods.items.length === 1 && pods.items.every(podReady);
        },
        { timeoutMs: OPERATION_MS, intervalMs: 2_000, what: 'the PgBouncer pod to be ready' },
      );
      const info = await mcp.call('get_connection_info', { name: PG, include_credentials: true });
      const credentials = (info.data as { credentials: { username: string; password: string } }).credentials;
      // The answer names the server PgBouncer passed the query to: the primary, not the pooler.
      const answer = await waitFor(
        async () =>
          psql(ns, await primary(), "SELECT current_user || ' ' || pg_is_in_recovery()", {
            host: `${PG}-pooler-rw`,
            user: credentials.username,
            password: credentials.password,
            database: 'app',
          }),
        { timeoutMs: 120_000, intervalMs: 2_000, what: 'a query through the pooler' },
      );
      expect(answer).toBe(`${credentials.username} false`);
    });
  });
  describe('backups', () => {
    it(
      'create_postgres_backup: refused until the cluster names a method, then stored for the operator ' +
        '[checked as objects only: volume snapshots need a CSI driver and object stores an S3 endpoint, neither runs on the local node]',
      async () => {
        const refused = await mcp.call('create_postgres_backup', { cluster_name: PG, backup_name: 'snap-1', method: 'volumeSnapshot' });
        expect(refused.isError).toBe(true);
        expect(await customObjects(e2eKubeConfig()).list('Backup', ns)).toEqual([]);
        await e2eKubeConfig()
          .makeApiClient(CustomObjectsApi)
          .patchNamespacedCustomObject(
            {
              group: 'postgresql.cnpg.io',
              version: 'v1',
              plural: 'clusters',
              namespace: ns,
              name: PG,
              body: { spec: { backup: { volumeSnapshot: { className: 'csi-snapclass' } } } },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        // The server reads the Cluster from its watch cache: the patch reaches it within moments.
        let last = '';
        await waitFor(
          async () => {
            const r = await mcp.call('create_postgres_backup', { cluster_name: PG, backup_name: 'snap-1', method: 'volumeSnapshot' });
            last = r.text;
            return !r.isError;
          },
          { timeoutMs: 20_000, intervalMs: 1_000, what: 'create_postgres_backup to accept the configured method' },
        ).catch((error: Error) => {
          throw new Error(`${error.message}; last answer: ${last}`);
        });
        const backup = await customObjects(e2eKubeConfig()).get('Backup', ns, 'snap-1');
        expect(backup.spec).toMatchObject({ cluster: { name: PG }, method: 'volumeSnapshot' });
      },
    );
  });
});
