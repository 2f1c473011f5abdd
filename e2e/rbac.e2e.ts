// The Helm chart's RBAC against a real API server. For each mode the chart renders (default,
// server.disableDestructive, server.readOnly, rbac.clusterWide) the ServiceAccount, Role(s) and
// bindings are server-side applied, a token is requested for the ServiceAccount (TokenRequest),
// and the server is started with a kubeconfig carrying only that token and the flags the chart's
// Deployment passes. Then:
//   sufficient:       every tool the server registers in that mode works (no 401/403)
//   least privilege:  everything else is refused by the API server with 403
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHelm, only, renderChart, type K8sObject } from '../test-support/helm.js';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { writeTokenKubeconfig } from './helpers/service-account.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession, type ToolCallResult } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';
import { healthyStatus, intentFixtures } from './intent-fixtures.js';

const FIELD_MANAGER = 'cnpg-mcp-e2e';
const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const PG = 'pg-rbac';
const PROMOTABLE = 'pg-rbac-promote';

let helm: string;
const tmpDirs: string[] = [];
const sessions: StdioSession[] = [];
const namespaces: string[] = [];
const clusterScoped: K8sObject[] = [];

beforeAll(() => {
  helm = buildHelm(); // cached by version; the first build takes about a minute and a half
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  const objects = KubernetesObjectApi.makeApiClient(e2eKubeConfig());
  await Promise.all(clusterScoped.map((o) => objects.delete(o as KubernetesObject).catch(() => undefined)));
  await Promise.all(namespaces.map(deleteTestNamespace));
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

async function testNamespace(prefix: string): Promise<string> {
  const name = await createTestNamespace(prefix);
  namespaces.push(name);
  return name;
}

// --- installing the chart's identity -----------------------------------------------------------

interface Identity {
  /** Rendered objects of the release (all kinds; only the RBAC ones are applied). */
  objects: K8sObject[];
  serviceAccount: string;
  namespace: string;
  /** A kubeconfig whose only credential is a TokenRequest token of the chart's ServiceAccount. */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** The flags of the chart's Deployment that shape what the server does (namespaces, modes). */
  serverArgs: string[];
}

/**
 * Renders the chart, server-side applies its ServiceAccount and RBAC objects, and returns a
 * kubeconfig for that ServiceAccount (same API server and CA as the admin kubeconfig).
 */
async function installIdentity(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<Identity> {
  const admin = e2eKubeConfig();
  const objects = renderChart(helm, { release, namespace, values });
  const objectsApi = KubernetesObjectApi.makeApiClient(admin);
  for (const object of objects.filter((o) => RBAC_KINDS.has(o.kind))) {
    if (!object.metadata.namespace) clusterScoped.push(object);
    await objectsApi.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
  const serviceAccount = only(objects, 'ServiceAccount').metadata.name;

  const tokenRequest = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    // No audiences: the API server's own. One hour outlives the spec file.
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status!.token!;

  const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-rbac-'));
  tmpDirs.push(dir);
  const kubeconfigPath = writeTokenKubeconfig(dir, serviceAccount, token, namespace);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);

  const deploymentArgs = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!.args ?? [];
  const serverArgs = deploymentArgs.filter((a) => /^--(namespaces?=|read-only$|disable-destructive$)/.test(a));

  // RBAC objects take effect once the authorizer's informers see them: wait for a granted read.
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  await waitFor(() => custom.listNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', namespace }).then(() => true), {
    what: `the RBAC of release ${release} to take effect`,
    timeoutMs: 30_000,
  });
  return { objects, serviceAccount, namespace, kubeconfigPath, kubeConfig, serverArgs };
}

async function startServer(identity: Identity, args: string[] = identity.serverArgs): Promise<StdioSession> {
  const session = await startStdioServer(identity.kubeconfigPath, args);
  sessions.push(session);
  return session;
}

/** The call must be refused by the API server's authorizer: 403 Forbidden. */
async function expectForbidden(call: Promise<unknown>, what: string): Promise<void> {
  const outcome = await call.then(
    () => 'allowed',
    (err: unknown) => err,
  );
  expect(outcome, `${what} should be forbidden`).toBeInstanceOf(ApiException);
  expect((outcome as ApiException<unknown>).code, what).toBe(403);
}

/** A tool result that reached the API and was refused there, not by the server's own checks. */
function expectApiForbidden(result: ToolCallResult): void {
  expect(result.isError, result.text).toBe(true);
  expect(result.text).toMatch(/HTTP 403/);
}

/** The HTTP status the API server answers a GET with, for the identity's credentials. */
async function statusOf(kubeConfig: KubeConfig, path: string): Promise<number> {
  const options: Parameters<KubeConfig['applyToHTTPSOptions']>[0] = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const url = new URL(path, kubeConfig.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(options as object), method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

// --- every tool, in an order where each one has what it needs ---------------------------------

type Tier = 'read' | 'write' | 'destructive';
const TIERS_OF_MODE = {
  default: ['read', 'write', 'destructive'],
  disableDestructive: ['read', 'write'],
  readOnly: ['read'],
} satisfies Record<string, Tier[]>;

interface Step {
  tool: string;
  /** Matches the tool's annotations: read-only, additive, destructive. */
  tier: Tier;
  args: Record<string, unknown>;
  /** Admin-side preparation the tool relies on (idempotent). */
  before?: (ns: string) => Promise<void>;
  /** An error that is the local plane's limit, not an RBAC one (still never 401/403). */
  acceptableError?: RegExp;
  /** Reads the effect back from the API as admin (or probes the identity's access). */
  check?: (ns: string, result: ToolCallResult, identity: Identity) => Promise<void>;
}

const admin = (ns: string) => objectReader(e2eKubeConfig(), ns);
/** The uid of the pod restart_cluster_instance is asked to delete, read just before. */
let restartedPodUid: string | undefined;

/** A Pending instance pod: the local plane has no kubelet, so the operator never makes running ones. */
async function instancePod(ns: string, name: string): Promise<void> {
  if (!(await admin(ns).pod(name))) await admin(ns).createInstancePod(PG, name);
}

const STEPS: Step[] = [
  {
    tool: 'create_postgres_cluster',
    tier: 'write',
    args: { name: PG, instances: 2, storage_size: '1Gi' },
    check: async (ns) => expect((await admin(ns).get('clusters', PG))?.spec.instances).toBe(2),
  },
  {
    tool: 'create_postgres_cluster',
    tier: 'write',
    // wait=true watches the Cluster: needs watch. Without running pods it reaches its timeout,
    // which is an answer (wait.complete=false), not an error (issue #12, item 2).
    args: { name: 'pg-wait', instances: 1, storage_size: '1Gi', wait: true, timeout: 5 },
  },
  { tool: 'list_postgres_clusters', tier: 'read', args: {}, check: async (_ns, r) => expect(r.text).toContain(PG) },
  { tool: 'list_postgres_clusters', tier: 'read', args: { all_namespaces: true }, check: async (_ns, r) => expect(r.text).toContain(PG) },
  { tool: 'get_cluster_status', tier: 'read', args: { name: PG, detail_level: 'detailed' } },
  {
    tool: 'scale_postgres_cluster',
    tier: 'write',
    args: { name: PG, instances: 3 },
    check: async (ns) => expect((await admin(ns).get('clusters', PG))?.spec.instances).toBe(3),
  },
  { tool: 'resize_postgres_cluster', tier: 'write', args: { name: PG, storage_size: '2Gi' } },
  { tool: 'update_postgres_parameters', tier: 'write', args: { name: PG, parameters: { work_mem: '8MB' } } },
  {
    tool: 'promote_cluster_instance',
    tier: 'destructive',
    args: { name: PROMOTABLE, instance: `${PROMOTABLE}-2` },
    // The switchover guard needs a primary and a ready target (issue #12, item 5): a cluster whose
    // status is set by hand and left alone by the operator, and a pod made Ready through pods/status.
    before: async (ns) => {
      const fixtures = intentFixtures(ns);
      if (!(await admin(ns).get('clusters', PROMOTABLE))) await fixtures.frozenCluster(PROMOTABLE, {}, healthyStatus(PROMOTABLE));
      await fixtures.instancePod(PROMOTABLE, `${PROMOTABLE}-2`, true);
    },
    // Through the status subresource (clusters/status patch).
    check: async (ns) => expect((await admin(ns).get('clusters', PROMOTABLE))?.status?.targetPrimary).toBe(`${PROMOTABLE}-2`),
  },
  { tool: 'restart_postgres_cluster', tier: 'destructive', args: { name: PG } },
  { tool: 'reload_postgres_configuration', tier: 'write', args: { name: PG } },
  { tool: 'hibernate_postgres_cluster', tier: 'destructive', args: { name: PG, hibernation: 'on' } },
  { tool: 'hibernate_postgres_cluster', tier: 'destructive', args: { name: PG, hibernation: 'off' } },
  { tool: 'fence_cluster_instances', tier: 'destructive', args: { name: PG, action: 'fence', instances: ['*'] } },
  { tool: 'fence_cluster_instances', tier: 'destructive', args: { name: PG, action: 'unfence', instances: ['*'] } },
  {
    tool: 'get_cluster_logs',
    tier: 'read',
    args: { name: PG, tail_lines: 10 },
    before: (ns) => instancePod(ns, `${PG}-3`),
    // A pod no node runs has no log: the API server authorizes the read, then answers 204 No
    // Content without a Content-Type, which @kubernetes/client-node fails to parse (the local plane
    // has no kubelet); a pod still starting gets 400. Neither is about RBAC, so probe pods/log directly.
    acceptableError: /No Content-Type|HTTP 400/,
    check: async (ns, _result, identity) => {
      const status = await statusOf(identity.kubeConfig, `/api/v1/namespaces/${ns}/pods/${PG}-3/log?container=postgres`);
      expect([200, 204, 400], `GET pods/log answered ${status}`).toContain(status);
    },
  },
  {
    tool: 'restart_cluster_instance',
    tier: 'destructive',
    args: { name: PG, instance: `${PG}-2` },
    before: async (ns) => {
      await instancePod(ns, `${PG}-2`);
      restartedPodUid = (await admin(ns).pod(`${PG}-2`))?.metadata?.uid;
    },
    // Deleted: gone, or (on a node, where the operator recreates it at once) a new pod of that name.
    check: async (ns) =>
      void (await waitFor(async () => (await admin(ns).pod(`${PG}-2`))?.metadata?.uid !== restartedPodUid, { what: 'the pod deletion', timeoutMs: 10_000 })),
  },
  {
    // Without pods/exec (no sql.enabled) it asks the primary's instance manager through pods/proxy;
    // the frozen cluster's primary pod is Pending on this plane, so the answer says it gave no status.
    tool: 'get_replication_status',
    tier: 'read',
    args: { name: PROMOTABLE },
    before: async (ns) => {
      const fixtures = intentFixtures(ns);
      if (!(await admin(ns).get('clusters', PROMOTABLE))) await fixtures.frozenCluster(PROMOTABLE, {}, healthyStatus(PROMOTABLE));
    },
    acceptableError: /gave no status|has no primary yet/,
  },
  {
    // The PVC and job lists and deletes of kubectl cnpg destroy; a dry run is authorized as the real call is.
    tool: 'destroy_cluster_instance',
    tier: 'destructive',
    args: { name: PG, instance: `${PG}-3`, dry_run: true },
    before: (ns) => instancePod(ns, `${PG}-3`),
    acceptableError: /is not owned by cluster/,
  },
  {
    tool: 'create_postgres_backup',
    tier: 'write',
    args: { cluster_name: PG, backup_name: 'b1', method: 'volumeSnapshot' },
    // Backups need the method configured on the cluster (issue #12, item 7).
    before: (ns) => intentFixtures(ns).patchClusterSpec(PG, { backup: { volumeSnapshot: { className: 'csi-snapclass' } } }),
  },
  { tool: 'list_postgres_backups', tier: 'read', args: {}, check: async (_ns, r) => expect(r.text).toContain('b1') },
  { tool: 'get_postgres_backup', tier: 'read', args: { name: 'b1' } },
  {
    tool: 'create_scheduled_backup',
    tier: 'write',
    args: { cluster_name: PG, name: 'nightly', schedule: '0 0 2 * * *', method: 'volumeSnapshot' },
    before: (ns) => intentFixtures(ns).patchClusterSpec(PG, { backup: { volumeSnapshot: { className: 'csi-snapclass' } } }),
  },
  { tool: 'list_scheduled_backups', tier: 'read', args: {}, check: async (_ns, r) => expect(r.text).toContain('nightly') },
  { tool: 'delete_scheduled_backup', tier: 'destructive', args: { name: 'nightly' } },
  { tool: 'create_postgres_database', tier: 'write', args: { cluster_name: PG, database_name: 'analytics', owner: 'app' } },
  { tool: 'list_postgres_databases', tier: 'read', args: { cluster_name: PG }, check: async (_ns, r) => expect(r.text).toContain('analytics') },
  { tool: 'update_postgres_database', tier: 'write', args: { cluster_name: PG, database_name: 'analytics', owner: 'reporting' } },
  { tool: 'delete_postgres_database', tier: 'destructive', args: { cluster_name: PG, database_name: 'analytics' } },
  {
    tool: 'create_postgres_role',
    tier: 'write',
    args: { cluster_name: PG, role_name: 'reporting' },
    check: async (ns) => expect((await admin(ns).secret(`${PG}-role-reporting`))?.type).toBe('kubernetes.io/basic-auth'),
  },
  { tool: 'list_postgres_roles', tier: 'read', args: { cluster_name: PG }, check: async (_ns, r) => expect(r.text).toContain('reporting') },
  { tool: 'update_postgres_role', tier: 'write', args: { cluster_name: PG, role_name: 'reporting', createdb: true, rotate_password: true } },
  {
    tool: 'delete_postgres_role',
    tier: 'destructive',
    args: { cluster_name: PG, role_name: 'reporting' },
    check: async (ns) => expect(await admin(ns).secret(`${PG}-role-reporting`)).toBeUndefined(),
  },
  { tool: 'create_postgres_pooler', tier: 'write', args: { cluster_name: PG, type: 'rw' } },
  { tool: 'list_postgres_poolers', tier: 'read', args: {}, check: async (_ns, r) => expect(r.text).toContain(`${PG}-pooler-rw`) },
  { tool: 'delete_postgres_pooler', tier: 'destructive', args: { name: `${PG}-pooler-rw` } },
  { tool: 'get_cluster_events', tier: 'read', args: { name: PG } },
  {
    tool: 'get_connection_info',
    tier: 'read',
    args: { name: PG, include_credentials: true },
    // The operator creates <cluster>-app while it sets the cluster up.
    before: async (ns) => void (await waitFor(() => admin(ns).secret(`${PG}-app`), { what: `the operator to create Secret ${PG}-app`, timeoutMs: 60_000 })),
    // A read-only server returns no credentials without --read-only-credentials (issue #12, item 18).
    acceptableError: /include_credentials=true is refused: this server runs read-only/,
    check: async (_ns, r, identity) => {
      if (r.isError) expect(identity.serverArgs).toContain('--read-only');
      else expect((r.data?.credentials as { password?: string } | undefined)?.password).toBeTruthy();
    },
  },
  { tool: 'delete_postgres_cluster', tier: 'destructive', args: { name: 'pg-wait', confirm_deletion: true } },
];

/** One `it` per step allowed in the mode, run in order against `session()` in the identity's namespace. */
function runSteps(mode: keyof typeof TIERS_OF_MODE, identity: () => Identity, session: () => StdioSession): void {
  const tiers: Tier[] = TIERS_OF_MODE[mode];
  it(`registers exactly the tools these steps cover for ${mode} (so every registered tool is exercised)`, async () => {
    const { tools } = await session().client.listTools();
    const covered = new Set(STEPS.filter((s) => tiers.includes(s.tier)).map((s) => s.tool));
    expect(tools.map((t) => t.name).sort()).toEqual([...covered].sort());
  });
  for (const step of STEPS.filter((s) => tiers.includes(s.tier))) {
    it(`${step.tool} ${JSON.stringify(step.args)} works with this RBAC`, async () => {
      const { namespace } = identity();
      await step.before?.(namespace);
      const result = await session().call(step.tool, step.args, { timeout: 60_000 });
      expect(result.text, 'refused by Kubernetes authentication/authorization').not.toMatch(/HTTP 40[13]/);
      if (!(result.isError && step.acceptableError?.test(result.text))) expect(result.isError, result.text).toBe(false);
      await step.check?.(namespace, result, identity());
    });
  }
}

// --- the modes ---------------------------------------------------------------------------------

describe('default values: a Role in the release namespace', () => {
  let ns: string;
  let other: string;
  let identity: Identity;
  let session: StdioSession;
  beforeAll(async () => {
    ns = await testNamespace('rbac');
    other = await testNamespace('rbac-other');
    // Something worth reading in the namespace the Role does not cover.
    await admin(other).createRawCluster({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg-other' },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
    identity = await installIdentity('cnpg-mcp', ns);
    session = await startServer(identity);
  });

  it('the chart limits the server to the namespace its Role covers', () => {
    expect(identity.serverArgs).toEqual([`--namespaces=${ns}`]);
    expect(only(identity.objects, 'Role').metadata.namespace).toBe(ns);
  });

  describe('sufficient: every tool works', () => {
    runSteps(
      'default',
      () => identity,
      () => session,
    );
  });

  describe('least privilege: the API server refuses everything else with 403', () => {
    let unrestricted: StdioSession;
    beforeAll(async () => {
      // The same identity without the --namespaces allowlist, so the calls reach the API server,
      // and without the watch cache, so every read is answered by the API server itself.
      unrestricted = await startServer(identity, [`--namespace=${ns}`, '--watch-cache=off']);
    });

    it('with the chart flags, another namespace is refused by the server before any API call', async () => {
      const r = await session.call('list_postgres_clusters', { namespace: other });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/not allowed on this server/);
      expect(r.text).not.toMatch(/HTTP/);
    });

    it('without them, tools in a namespace outside the Role get 403 from the API server', async () => {
      expectApiForbidden(await unrestricted.call('list_postgres_clusters', { namespace: other }));
      expectApiForbidden(await unrestricted.call('get_connection_info', { name: 'pg-other', namespace: other, include_credentials: true }));
      expectApiForbidden(await unrestricted.call('scale_postgres_cluster', { name: 'pg-other', namespace: other, instances: 3 }));
      expectApiForbidden(await unrestricted.call('create_postgres_cluster', { name: 'pg-intruder', namespace: other, instances: 1, storage_size: '1Gi' }));
      expectApiForbidden(await unrestricted.call('list_postgres_clusters', { all_namespaces: true }));
      expect((await admin(other).get('clusters', 'pg-other'))?.spec.instances).toBe(1);
      expect(await admin(other).get('clusters', 'pg-intruder')).toBeUndefined();
    });

    it('the ServiceAccount token cannot read Secrets or ConfigMaps beyond what the tools need', async () => {
      const core = identity.kubeConfig.makeApiClient(CoreV1Api);
      await expectForbidden(core.listSecretForAllNamespaces(), 'listing Secrets cluster-wide');
      await expectForbidden(core.listNamespacedSecret({ namespace: ns }), 'listing Secrets in its own namespace (only get by name is granted)');
      await expectForbidden(core.readNamespacedSecret({ namespace: other, name: 'pg-other-app' }), 'reading a Secret in another namespace');
      await expectForbidden(core.listNamespacedConfigMap({ namespace: ns }), 'listing ConfigMaps');
      await expectForbidden(core.listConfigMapForAllNamespaces(), 'listing ConfigMaps cluster-wide');
    });

    it('nor write what no tool writes, nor grant itself more', async () => {
      const core = identity.kubeConfig.makeApiClient(CoreV1Api);
      const custom = identity.kubeConfig.makeApiClient(CustomObjectsApi);
      const rbac = identity.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
      const cnpg = { group: 'postgresql.cnpg.io', version: 'v1' };
      await expectForbidden(
        core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'intruder' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } }),
        'creating a pod',
      );
      await expectForbidden(core.deleteNamespacedPod({ namespace: other, name: 'anything' }), 'deleting a pod in another namespace');
      await expectForbidden(custom.deleteNamespacedCustomObject({ ...cnpg, plural: 'backups', namespace: ns, name: 'b1' }), 'deleting a Backup (no tool does)');
      await expectForbidden(custom.listClusterCustomObject({ ...cnpg, plural: 'clusters' }), 'listing Clusters cluster-wide');
      await expectForbidden(
        custom.patchNamespacedCustomObjectStatus(
          { ...cnpg, plural: 'clusters', namespace: other, name: 'pg-other', body: { status: { targetPrimary: 'pg-other-2' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
        'a switchover in another namespace',
      );
      await expectForbidden(
        rbac.createNamespacedRoleBinding({
          namespace: ns,
          body: {
            metadata: { name: 'escalate' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'ServiceAccount', name: identity.serviceAccount, namespace: ns }],
          },
        }),
        'binding itself to cluster-admin',
      );
    });
  });
});

describe('server.disableDestructive, then server.readOnly: RBAC follows the mode', () => {
  let ns: string;
  let nonDestructive: Identity;
  let readOnly: Identity;
  let nonDestructiveSession: StdioSession;
  let readOnlySession: StdioSession;
  beforeAll(async () => {
    ns = await testNamespace('rbac-modes');
    // Two releases in one namespace: the read-only one then reads what the other one created.
    nonDestructive = await installIdentity('nd', ns, { server: { disableDestructive: true } });
    readOnly = await installIdentity('ro', ns, { server: { readOnly: true } });
    nonDestructiveSession = await startServer(nonDestructive);
  });

  it('the chart passes the mode flag with the namespaces', () => {
    expect(nonDestructive.serverArgs).toEqual([`--namespaces=${ns}`, '--disable-destructive']);
    expect(readOnly.serverArgs).toEqual([`--namespaces=${ns}`, '--read-only']);
  });

  describe('--disable-destructive: every registered tool works', () => {
    runSteps(
      'disableDestructive',
      () => nonDestructive,
      () => nonDestructiveSession,
    );
  });

  describe('--read-only: every registered tool works', () => {
    beforeAll(async () => {
      readOnlySession = await startServer(readOnly);
    });
    runSteps(
      'readOnly',
      () => readOnly,
      () => readOnlySession,
    );
  });

  it('the non-destructive identity cannot delete, or switch over', async () => {
    const custom = nonDestructive.kubeConfig.makeApiClient(CustomObjectsApi);
    const cnpg = { group: 'postgresql.cnpg.io', version: 'v1', namespace: ns };
    await expectForbidden(custom.deleteNamespacedCustomObject({ ...cnpg, plural: 'clusters', name: PG }), 'deleting a Cluster');
    await expectForbidden(custom.deleteNamespacedCustomObject({ ...cnpg, plural: 'poolers', name: `${PG}-pooler-rw` }), 'deleting a Pooler');
    await expectForbidden(
      custom.patchNamespacedCustomObjectStatus(
        { ...cnpg, plural: 'clusters', name: PG, body: { status: { targetPrimary: `${PG}-2` } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      'patching clusters/status',
    );
    await expectForbidden(nonDestructive.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: ns, name: `${PG}-3` }), 'deleting a pod');
  });

  it('the read-only identity cannot write at all', async () => {
    const custom = readOnly.kubeConfig.makeApiClient(CustomObjectsApi);
    const cnpg = { group: 'postgresql.cnpg.io', version: 'v1', namespace: ns };
    await expectForbidden(
      custom.createNamespacedCustomObject({
        ...cnpg,
        plural: 'clusters',
        body: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg-ro' }, spec: { instances: 1, storage: { size: '1Gi' } } },
      }),
      'creating a Cluster',
    );
    await expectForbidden(
      custom.patchNamespacedCustomObject(
        { ...cnpg, plural: 'clusters', name: PG, body: { spec: { instances: 5 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      'scaling a Cluster',
    );
    await expectForbidden(
      readOnly.kubeConfig
        .makeApiClient(CoreV1Api)
        .patchNamespacedSecret(
          { namespace: ns, name: `${PG}-role-reporting`, body: { stringData: { password: 'x' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      'changing a role password',
    );
  });
});

describe('rbac.clusterWide: a ClusterRole, no namespace allowlist', () => {
  let ns: string;
  let identity: Identity;
  let elsewhere: string;
  beforeAll(async () => {
    ns = await testNamespace('rbac-cw');
    elsewhere = await testNamespace('rbac-cw-other');
    await admin(elsewhere).createRawCluster({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg-far' },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
    // Cluster-scoped names must not collide with an earlier run on a shared cluster.
    identity = await installIdentity(`cw-${randomBytes(3).toString('hex')}`, ns, { rbac: { clusterWide: true } });
  });

  it('renders a ClusterRole and ClusterRoleBinding and passes no --namespaces', () => {
    expect(identity.objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['ClusterRole', 'ClusterRoleBinding']));
    expect(identity.objects.filter((o) => o.kind === 'Role')).toEqual([]);
    expect(identity.serverArgs).toEqual([]);
  });

  it('lets the server work in any namespace', async () => {
    const session = await startServer(identity, [`--namespace=${ns}`]);
    const all = await session.call('list_postgres_clusters', { all_namespaces: true });
    expect(all.isError, all.text).toBe(false);
    expect(all.text).toContain('pg-far');
    const status = await session.call('get_cluster_status', { name: 'pg-far', namespace: elsewhere });
    expect(status.isError, status.text).toBe(false);
  });

  it('still grants nothing beyond the tools: no ConfigMaps, no Secret listing, no RBAC', async () => {
    const core = identity.kubeConfig.makeApiClient(CoreV1Api);
    await expectForbidden(core.listConfigMapForAllNamespaces(), 'listing ConfigMaps cluster-wide');
    await expectForbidden(core.listSecretForAllNamespaces(), 'listing Secrets cluster-wide');
    await expectForbidden(identity.kubeConfig.makeApiClient(RbacAuthorizationV1Api).listClusterRole(), 'listing ClusterRoles');
  });
});

describe('the rendered chart, as the API server sees it', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('chart');
  });

  it('every object, with every option on, passes server-side validation (dry run)', async () => {
    const objects = renderChart(helm, {
      release: 'full',
      namespace: ns,
      values: {
        rbac: { namespaces: [ns] },
        auth: { tokens: ['t'.repeat(32)] },
        tls: { enabled: true, secretName: 'srv-tls' },
        redis: { existingSecret: { name: 'redis', key: 'url' } },
        metrics: { port: 9090 },
        ingress: {
          enabled: true,
          className: 'nginx',
          certManagerClusterIssuer: 'letsencrypt',
          tls: [{ secretName: 'web-tls', hosts: ['cnpg-mcp.example.com'] }],
        },
        networkPolicy: { ingress: { namespaces: ['ingress-nginx'] }, egress: { apiServer: { cidrs: ['10.0.0.1/32'] } } },
      },
    });
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['Deployment', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
    const objectsApi = KubernetesObjectApi.makeApiClient(e2eKubeConfig());
    for (const object of objects) {
      await objectsApi.patch(object as KubernetesObject, undefined, 'All', FIELD_MANAGER, true, PatchStrategy.ServerSideApply).catch((err: unknown) => {
        throw new Error(`${object.kind}/${object.metadata.name} refused: ${err instanceof ApiException ? String(err.body) : String(err)}`);
      });
    }
  });

  it('the pod is admitted where the "restricted" Pod Security Standard is enforced (dry run)', async () => {
    const core = e2eKubeConfig().makeApiClient(CoreV1Api);
    await core.patchNamespace(
      {
        name: ns,
        body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const template = only<V1Deployment>(renderChart(helm, { namespace: ns }), 'Deployment').spec!.template;
    // With kube-controller-manager (a real node) the ServiceAccount admission plugin is on, as in
    // production: the chart's ServiceAccount must exist before its pod is admitted.
    const serviceAccount = template.spec!.serviceAccountName!;
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: serviceAccount } } }).catch((err: unknown) => {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    });
    const created = await core.createNamespacedPod({
      namespace: ns,
      dryRun: 'All',
      body: { metadata: { name: 'cnpg-mcp-psa', labels: template.metadata!.labels }, spec: template.spec! },
    });
    expect(created.spec!.containers[0]!.securityContext!.readOnlyRootFilesystem).toBe(true);
    // The same namespace refuses a pod that is not restricted: the check is real.
    const loose = await core
      .createNamespacedPod({ namespace: ns, dryRun: 'All', body: { metadata: { name: 'loose' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })
      .then(
        () => 'admitted',
        (err: unknown) => err,
      );
    expect((loose as ApiException<unknown>).code).toBe(403);
  });
});
