// Operations that finish, not just start (issue #15), on running PostgreSQL: each one called with
// wait=true through the MCP tools over stdio, and at the moment the tool says it is done,
// Kubernetes and PostgreSQL itself (psql through kubectl exec) are asked whether it is. Also the
// parts of a wait that are not the happy path: a timeout answers "not complete yet" without an
// error, and a cancelled call stops the wait while the operator goes on. Then destroying one
// instance with its volume, and the replication status read from PostgreSQL.
// One 2-instance Cluster; the blocks run in order on it, each leaving it healthy.
// The server runs without --allow-sql: get_replication_status runs only its own fixed SQL; a second
// server whose ServiceAccount lacks pods/exec reads it from the primary's instance manager instead.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig, podsCanRun, skipReasonNoPods } from './helpers/cluster.js';
import { psql } from './helpers/psql.js';
import { serviceAccountKubeconfig } from './helpers/service-account.js';
import { customObjects } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession, type ToolCallResult } from '../test-support/stdio-session.js';

const PG = 'pg';
const canRun = podsCanRun();
const title = (name: string) => (canRun ? name : `${name} ${skipReasonNoPods()}`);

interface Wait {
  complete: boolean;
  current_primary?: string;
  waited_seconds: number;
  phase: string;
  ready_instances: number;
  instances: number;
  waiting_for?: string;
}

let mcp: StdioSession;
let ns: string;
const core = () => e2eKubeConfig().makeApiClient(CoreV1Api);
const instancePods = async (): Promise<V1Pod[]> =>
  (await core().listNamespacedPod({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG},cnpg.io/podRole=instance` })).items;
const podReady = (pod: V1Pod | undefined) => pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const cluster = () => customObjects(e2eKubeConfig()).get('Cluster', ns, PG);
const primary = async () => (await cluster()).status?.currentPrimary as string;
const replica = async () => {
  const p = await primary();
  return (await instancePods()).map((pod) => pod.metadata!.name!).find((n) => n !== p)!;
};
const startedAt = (pod: string) => psql(ns, pod, 'SELECT pg_postmaster_start_time()');
const healthyWith = (n: number) => async () => {
  const c = await cluster();
  const pods = await instancePods();
  return c.status?.phase === 'Cluster in healthy state' && c.status?.readyInstances === n && pods.length === n && pods.every(podReady);
};
const timings: string[] = [];

/** A tool call with wait=true: progress recorded and checked to increase, the wall time noted. */
async function followed(tool: string, args: Record<string, unknown>, timeout = 420) {
  const progress: number[] = [];
  const started = Date.now();
  const r: ToolCallResult = await mcp.call(
    tool,
    { name: PG, ...args, wait: true, timeout },
    { onprogress: (p) => progress.push(p.progress), timeout: (timeout + 60) * 1000, resetTimeoutOnProgress: true },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  timings.push(`${tool} ${JSON.stringify(args)}: ${seconds}s`);
  expect(r.isError, r.text).toBe(false);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  return { r, wait: r.data?.wait as Wait, progress, seconds };
}

describe.skipIf(!canRun)(title('operations followed to their end with wait=true, on running PostgreSQL'), () => {
  beforeAll(async () => {
    ns = await createTestNamespace('ops');
    mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
    const { wait } = await followed('create_postgres_cluster', { instances: 2, storage_size: '1Gi' }, 600);
    expect(wait.complete).toBe(true);
    await psql(ns, `${PG}-1`, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)', { database: 'app' });
  }, 900_000);
  afterAll(async () => {
    console.log(`[timings on this machine]\n${timings.join('\n')}`);
    await mcp?.close();
    if (ns) await deleteTestNamespace(ns);
  });

  describe('get_replication_status', () => {
    it('the standby streams with its lag in bytes, its slot is active: as pg_stat_replication says', async () => {
      const p = await primary();
      const standby = await replica();
      const r = await mcp.call('get_replication_status', { name: PG });
      expect(r.isError, r.text).toBe(false);
      const data = r.data as { primary: string; standbys: Record<string, unknown>[]; slots: Record<string, unknown>[] };
      expect(data.primary).toBe(p);
      expect(data.standbys).toHaveLength(1);
      expect(data.standbys[0]).toMatchObject({ application_name: standby, state: 'streaming' });
      expect(typeof data.standbys[0]!.replay_lag_bytes).toBe('number');
      expect(data.standbys[0]!.replay_lag_bytes as number).toBeGreaterThanOrEqual(0);
      // CNPG's high-availability slot for the standby, on the primary.
      const slot = data.slots.find((s) => s.slot_name === `_cnpg_${standby.replace(/-/g, '_')}`);
      expect(slot, JSON.stringify(data.slots)).toMatchObject({ slot_type: 'physical', active: true });
      expect(await psql(ns, p, 'SELECT application_name FROM pg_stat_replication')).toBe(standby);
      expect(r.text).toMatch(new RegExp(`${standby}\\s.*streaming`));
    });

    it('without pods/exec: the same standby and slot from the primary instance manager (/pg/status), and the answer says so', async () => {
      // A server whose ServiceAccount may read clusters and pods and use pods/proxy, but not exec.
      const kubeconfig = await serviceAccountKubeconfig(ns, 'no-exec', [
        { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
      ]);
      const noExec = await startStdioServer(kubeconfig, ['--namespace', ns]);
      try {
        const p = await primary();
        const standby = await replica();
        const r = await noExec.call('get_replication_status', { name: PG });
        expect(r.isError, r.text).toBe(false);
        const data = r.data as { primary: string; source: string; standbys: Record<string, unknown>[]; slots: Record<string, unknown>[] };
        expect(data.source).toBe('instance_manager');
        expect(r.text).toContain('asked through its instance manager (pods/exec refused)');
        expect(data.primary).toBe(p);
        expect(data.standbys).toHaveLength(1);
        expect(data.standbys[0]).toMatchObject({ application_name: standby, state: 'streaming' });
        expect(data.standbys[0]!.replay_lag_bytes as number).toBeGreaterThanOrEqual(0);
        const slot = data.slots.find((s) => s.slot_name === `_cnpg_${standby.replace(/-/g, '_')}`);
        expect(slot, JSON.stringify(data.slots)).toMatchObject({ slot_type: 'physical', active: true });
        expect(r.text).toMatch(new RegExp(`${standby}\\s.*streaming`));
      } finally {
        await noExec.close();
      }
    });
  });

  describe('update_postgres_parameters with wait', () => {
    it('a reloadable parameter: done once every instance has loaded it', { timeout: 480_000 }, async () => {
      const { wait, r } = await followed('update_postgres_parameters', { parameters: { work_mem: '8MB' } });
      expect(wait.complete, r.text).toBe(true);
      for (const pod of await instancePods()) expect(await psql(ns, pod.metadata!.name!, 'SHOW work_mem')).toBe('8MB');
    });

    it('a parameter that needs a restart: done once every instance runs with it and none has a restart pending', { timeout: 600_000 }, async () => {
      const { wait, r } = await followed('update_postgres_parameters', { parameters: { max_connections: '150' } }, 540);
      expect(wait.complete, r.text).toBe(true);
      expect(r.text).toMatch(/Every instance runs with the new configuration after \d+s/);
      for (const pod of await instancePods()) {
        const name = pod.metadata!.name!;
        expect(await psql(ns, name, 'SHOW max_connections')).toBe('150');
        expect(await psql(ns, name, 'SELECT count(*) FROM pg_settings WHERE pending_restart')).toBe('0');
      }
    });
  });

  describe('restarts with wait', () => {
    it('restart_cluster_instance: done when the replica runs again in a new pod, ready', { timeout: 480_000 }, async () => {
      const standby = await replica();
      const before = await startedAt(standby);
      const uid = (await instancePods()).find((p) => p.metadata?.name === standby)?.metadata?.uid;
      const { wait, r } = await followed('restart_cluster_instance', { instance: standby });
      expect(wait.complete, r.text).toBe(true);
      const pod = (await instancePods()).find((p) => p.metadata?.name === standby);
      expect(pod?.metadata?.uid).not.toBe(uid);
      expect(podReady(pod)).toBe(true);
      expect(await startedAt(standby)).not.toBe(before);
    });

    it('cancelled after its first progress: the wait stops, the operator still brings the replica back', { timeout: 480_000 }, async () => {
      const standby = await replica();
      const uid = (await instancePods()).find((p) => p.metadata?.name === standby)?.metadata?.uid;
      const controller = new AbortController();
      const call = mcp.call(
        'restart_cluster_instance',
        { name: PG, instance: standby, wait: true, timeout: 400 },
        { onprogress: () => controller.abort(), signal: controller.signal, timeout: 460_000 },
      );
      await expect(call).rejects.toThrow();
      await waitFor(
        async () => {
          const pod = (await instancePods()).find((p) => p.metadata?.name === standby);
          return pod?.metadata?.uid !== uid && podReady(pod) && (await healthyWith(2)());
        },
        { timeoutMs: 400_000, intervalMs: 3_000, what: 'the replica to come back after the cancelled wait' },
      );
      // The server is still there for the next call.
      expect((await mcp.call('get_cluster_status', { name: PG })).isError).toBe(false);
    });

    it('restart_postgres_cluster: done when every instance restarted (new PostgreSQL start times) and is ready', { timeout: 600_000 }, async () => {
      const pods = (await instancePods()).map((p) => p.metadata!.name!);
      const before = Object.fromEntries(await Promise.all(pods.map(async (p) => [p, await startedAt(p)])));
      const { wait, r } = await followed('restart_postgres_cluster', {}, 540);
      expect(wait.complete, r.text).toBe(true);
      expect(r.text).toMatch(/Every instance restarted and is ready after \d+s/);
      expect(await healthyWith(2)()).toBe(true);
      for (const p of pods) expect(await startedAt(p), p).not.toBe(before[p]);
    });
  });

  describe('fencing with wait', () => {
    it('fence: done when the fenced PostgreSQL is stopped and its pod not ready; unfence: done when it serves again', { timeout: 600_000 }, async () => {
      const standby = await replica();
      const fenced = await followed('fence_cluster_instances', { action: 'fence', instances: [standby] });
      expect(fenced.wait.complete, fenced.r.text).toBe(true);
      const pod = (await instancePods()).find((p) => p.metadata?.name === standby);
      expect(pod, 'the pod stays for investigation').toBeDefined();
      expect(podReady(pod)).toBe(false);
      await expect(psql(ns, standby, 'SELECT 1')).rejects.toThrow();

      const unfenced = await followed('fence_cluster_instances', { action: 'unfence', instances: [standby] });
      expect(unfenced.wait.complete, unfenced.r.text).toBe(true);
      expect(podReady((await instancePods()).find((p) => p.metadata?.name === standby))).toBe(true);
      expect(await psql(ns, standby, 'SELECT count(*) FROM kept', { database: 'app' })).toBe('1');
    });
  });

  describe('scale with wait', () => {
    it('a timeout answers "not complete yet" (no error, structured); the scale goes on; a second wait sees it done', { timeout: 600_000 }, async () => {
      const early = await followed('scale_postgres_cluster', { instances: 3 }, 5);
      expect(early.wait).toMatchObject({ complete: false, instances: 3 });
      expect(early.wait.waiting_for).toBeTruthy();
      expect(early.r.text).toMatch(/Not finished after \d+s .*Do not repeat the call/);
      const done = await followed('scale_postgres_cluster', { instances: 3 }, 540);
      expect(done.wait).toMatchObject({ complete: true, ready_instances: 3, instances: 3 });
      expect(await healthyWith(3)()).toBe(true);
    });

    it('scale down: done when the count of pods and ready instances is the new one', { timeout: 480_000 }, async () => {
      const { wait, r } = await followed('scale_postgres_cluster', { instances: 2 });
      expect(wait, r.text).toMatchObject({ complete: true, ready_instances: 2, instances: 2 });
      expect((await instancePods()).length).toBe(2);
    });
  });

  describe('destroy_cluster_instance', () => {
    it('refuses the primary, and asks for confirmation; a dry run deletes nothing', async () => {
      const p = await primary();
      const standby = await replica();
      const uids = (await instancePods()).map((pod) => pod.metadata!.uid).sort();
      const onPrimary = await mcp.call('destroy_cluster_instance', { name: PG, instance: p, confirm_destroy: true });
      expect(onPrimary.isError).toBe(true);
      expect(onPrimary.text).toMatch(/is the primary/);
      const unconfirmed = await mcp.call('destroy_cluster_instance', { name: PG, instance: standby });
      expect(unconfirmed.isError).toBe(true);
      expect(unconfirmed.text).toMatch(/confirm_destroy=true/);
      const dry = await mcp.call('destroy_cluster_instance', { name: PG, instance: standby, dry_run: true });
      expect(dry.isError, dry.text).toBe(false);
      expect(dry.text).toMatch(new RegExp(`Would destroy instance ${standby}.*pod ${standby}.*PVC ${standby}`));
      expect((await instancePods()).map((pod) => pod.metadata!.uid).sort()).toEqual(uids);
      const claims = await core().listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: `cnpg.io/instanceName=${standby}` });
      expect(claims.items.map((c) => c.metadata?.deletionTimestamp)).toEqual([undefined]);
    });

    it('destroys a replica with its volume; the operator replaces it on a new volume that has the data', { timeout: 600_000 }, async () => {
      const standby = await replica();
      const oldPod = (await instancePods()).find((p) => p.metadata?.name === standby)!.metadata!.uid;
      const claimsOf = async () => (await core().listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: `cnpg.io/cluster=${PG}` })).items;
      const oldClaim = (await claimsOf()).find((c) => c.metadata?.name === standby)!.metadata!.uid;
      const { wait, r } = await followed('destroy_cluster_instance', { instance: standby, confirm_destroy: true }, 540);
      expect(wait.complete, r.text).toBe(true);
      // The old pod and volume are gone (the operator may reuse the name: 1.30 does).
      const pods = await instancePods();
      expect(pods.map((p) => p.metadata!.uid)).not.toContain(oldPod);
      expect((await claimsOf()).map((c) => c.metadata!.uid)).not.toContain(oldClaim);
      expect(pods).toHaveLength(2);
      const fresh = pods.map((p) => p.metadata!.name!).find((n) => n !== wait.current_primary)!;
      expect(await psql(ns, fresh, 'SELECT count(*) FROM kept', { database: 'app' })).toBe('1');
      expect(await healthyWith(2)()).toBe(true);
    });
  });
});
