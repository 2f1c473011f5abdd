// Issue #12, items 3, 5, 6 and 7: tools that must refuse, and refuse without changing anything.
// Against the API-only plane: every check is about API objects. Clusters whose status a spec sets
// by hand carry cnpg.io/reconciliationLoop=disabled, so the operator leaves that status alone;
// "ready" instance pods get their Ready condition through the pods/status subresource (there is
// no kubelet to set it or to take it away).
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';
import { healthyStatus, intentFixtures } from './intent-fixtures.js';

const sessions: StdioSession[] = [];
const tmpDirs: string[] = [];
let ns: string;
let mcp: StdioSession;
let api: ReturnType<typeof objectReader>;
let core: CoreV1Api;
let fixtures: ReturnType<typeof intentFixtures>;

beforeAll(async () => {
  ns = await createTestNamespace('intent-guards');
  api = objectReader(e2eKubeConfig(), ns);
  fixtures = intentFixtures(ns);
  core = e2eKubeConfig().makeApiClient(CoreV1Api);
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
  sessions.push(mcp);
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('promote_cluster_instance refuses as kubectl cnpg promote does, and writes nothing when it refuses (item 5)', () => {
  beforeAll(async () => {
    await fixtures.frozenCluster('pgp', { instances: 4 }, healthyStatus('pgp'));
    await fixtures.instancePod('pgp', 'pgp-1', true);
    await fixtures.instancePod('pgp', 'pgp-2', true);
    await fixtures.instancePod('pgp', 'pgp-3', false);
  });

  async function expectRefusal(instance: string, reason: RegExp) {
    const before = await api.get('clusters', 'pgp');
    const r = await mcp.call('promote_cluster_instance', { name: 'pgp', instance });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(reason);
    const after = await api.get('clusters', 'pgp');
    expect(after?.status).toEqual(before?.status);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
  }

  it('refuses the current primary', () => expectRefusal('pgp-1', /pgp-1 is already the primary/));
  it('refuses an instance whose pod does not exist', () => expectRefusal('pgp-4', /pgp-4 has no pod in cluster .*Its instance pods: pgp-1, pgp-2, pgp-3/s));
  it('refuses an instance whose pod is not ready', () => expectRefusal('pgp-3', /the pod of pgp-3 is not ready \(phase: Pending\)/));

  it('accepts a ready replica, then refuses it again as the target and any other while the switchover runs', async () => {
    const r = await mcp.call('promote_cluster_instance', { name: 'pgp', instance: 'pgp-2' });
    expect(r.isError, r.text).toBe(false);
    const stored = await api.get('clusters', 'pgp');
    expect(stored?.status).toMatchObject({
      currentPrimary: 'pgp-1',
      targetPrimary: 'pgp-2',
      phase: 'Switchover in progress',
      phaseReason: 'Switching over to pgp-2',
    });
    await expectRefusal('pgp-2', /pgp-2 is already the target primary/);
    await fixtures.instancePod('pgp', 'pgp-4', true);
    await expectRefusal('pgp-4', /a switchover of .* to pgp-2 is already in progress/);
  });

  it('refuses while the cluster has no primary yet (what the operator writes for a new cluster)', async () => {
    await fixtures.frozenCluster('pgn', {}, { targetPrimary: 'pgn-1', phase: 'Setting up primary' });
    await fixtures.instancePod('pgn', 'pgn-2', true);
    const r = await mcp.call('promote_cluster_instance', { name: 'pgn', instance: 'pgn-2' });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/has no primary yet \(phase: Setting up primary\)/);
    expect((await api.get('clusters', 'pgn'))?.status).toMatchObject({ targetPrimary: 'pgn-1', phase: 'Setting up primary' });
  });
});

describe('resize_postgres_cluster refuses to shrink (item 6)', () => {
  beforeAll(() => fixtures.frozenCluster('pgr', {}));

  it('refuses 1Gi → 500Mi with the reason, and the size stays', async () => {
    const r = await mcp.call('resize_postgres_cluster', { name: 'pgr', storage_size: '500Mi' });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/has 1Gi volumes and volumes cannot shrink: 500Mi is smaller/);
    expect((await api.get('clusters', 'pgr'))?.spec.storage.size).toBe('1Gi');
  });

  it('still grows (1Gi → 2Gi) and accepts the same size written another way (1Gi → 1024Mi)', async () => {
    const grow = await mcp.call('resize_postgres_cluster', { name: 'pgr', storage_size: '2Gi' });
    expect(grow.isError, grow.text).toBe(false);
    expect((await api.get('clusters', 'pgr'))?.spec.storage.size).toBe('2Gi');
    const same = await mcp.call('resize_postgres_cluster', { name: 'pgr', storage_size: '2048Mi' });
    expect(same.isError, same.text).toBe(false);
  });
});

describe('create_postgres_backup and create_scheduled_backup need the method configured (item 7)', () => {
  beforeAll(async () => {
    await fixtures.frozenCluster('pgb-none', {});
    await fixtures.frozenCluster('pgb-snap', { backup: { volumeSnapshot: { className: 'csi-snapclass' } } });
  });

  it('refuses a cluster with no backup section, naming what each method needs, and creates no Backup', async () => {
    const r = await mcp.call('create_postgres_backup', { cluster_name: 'pgb-none', backup_name: 'b-none' });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/has no backup configuration/);
    expect(r.text).toMatch(/barmanObjectStore needs spec\.backup\.barmanObjectStore/);
    expect(r.text).toMatch(/volumeSnapshot needs spec\.backup\.volumeSnapshot/);
    expect(await api.get('backups', 'b-none')).toBeUndefined();
    const s = await mcp.call('create_scheduled_backup', { cluster_name: 'pgb-none', name: 'nightly-none', schedule: '0 0 2 * * *' });
    expect(s.isError, s.text).toBe(true);
    expect(await api.get('scheduledbackups', 'nightly-none')).toBeUndefined();
  });

  it('refuses a method the cluster lacks and names the one it has', async () => {
    const r = await mcp.call('create_postgres_backup', { cluster_name: 'pgb-snap', backup_name: 'b-barman', method: 'barmanObjectStore' });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/not configured for barmanObjectStore backups.*It supports: volumeSnapshot/s);
    expect(await api.get('backups', 'b-barman')).toBeUndefined();
  });

  it('without a method, uses the one the cluster has', async () => {
    const r = await mcp.call('create_postgres_backup', { cluster_name: 'pgb-snap', backup_name: 'b-snap' });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('backups', 'b-snap'))?.spec).toMatchObject({ cluster: { name: 'pgb-snap' }, method: 'volumeSnapshot' });
  });
});

describe('a failed update_postgres_role changes nothing (item 3)', () => {
  const LIMITED_USER = 'e2e-no-cluster-patch';
  let limited: StdioSession;

  beforeAll(async () => {
    await fixtures.frozenCluster('pgu', {
      managed: { roles: [{ name: 'app_user', ensure: 'present', login: true, passwordSecret: { name: 'pgu-role-app-user' } }] },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'pgu-role-app-user' }, type: 'kubernetes.io/basic-auth', stringData: { username: 'app_user', password: 'the-old-password-1' } },
    });
    // An identity that may write Secrets but not Clusters: the roles patch fails, the Secret write would not.
    const rbac = e2eKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: LIMITED_USER },
        rules: [
          { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters', 'databaseroles'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch', 'delete'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: LIMITED_USER },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: LIMITED_USER },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: LIMITED_USER }],
      },
    });
    // The admin credentials, impersonating that user (kubeconfig `as`).
    const kc = new KubeConfig();
    kc.loadFromString(e2eKubeConfig().exportConfig());
    const user = kc.getCurrentUser()!;
    kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: LIMITED_USER } : u));
    const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-intent-'));
    tmpDirs.push(dir);
    const path = join(dir, 'limited.kubeconfig');
    writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
    const probe = new KubeConfig();
    probe.loadFromFile(path);
    await waitFor(
      () =>
        probe
          .makeApiClient(CoreV1Api)
          .readNamespacedSecret({ namespace: ns, name: 'pgu-role-app-user' })
          .then(() => true),
      {
        what: 'the impersonated identity to be authorized',
        timeoutMs: 30_000,
      },
    );
    limited = await startStdioServer(path, ['--namespace', ns]);
    sessions.push(limited);
  });

  it('rotate_password refused by the API for the roles patch leaves the old password in the Secret', async () => {
    const rolesBefore = (await api.get('clusters', 'pgu'))?.spec.managed.roles;
    expect(rolesBefore).toEqual([expect.objectContaining({ name: 'app_user', passwordSecret: { name: 'pgu-role-app-user' } })]);
    const r = await limited.call('update_postgres_role', { cluster_name: 'pgu', role_name: 'app_user', rotate_password: true, createdb: true });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/HTTP 403/);
    const secret = await api.secret('pgu-role-app-user');
    expect(Buffer.from(secret!.data!.password!, 'base64').toString()).toBe('the-old-password-1');
    expect((await api.get('clusters', 'pgu'))?.spec.managed.roles).toEqual(rolesBefore);
  });

  it('a password for a role with no Secret yet creates none when the call fails', async () => {
    await fixtures.patchClusterSpec('pgu', {
      managed: {
        roles: [
          { name: 'app_user', ensure: 'present', login: true, passwordSecret: { name: 'pgu-role-app-user' } },
          { name: 'report', ensure: 'present' },
        ],
      },
    });
    await waitFor(async () => (await limited.call('list_postgres_roles', { cluster_name: 'pgu' })).text.includes('report'), {
      what: 'the new role to be listed',
      timeoutMs: 10_000,
    });
    const r = await limited.call('update_postgres_role', { cluster_name: 'pgu', role_name: 'report', password: 'a-new-password-123' });
    expect(r.isError, r.text).toBe(true);
    expect(await api.secret('pgu-role-report')).toBeUndefined();
  });
});

describe('a 404 says where it looked (issue #12, "Small")', () => {
  it('get_cluster_status of a missing cluster names the namespace searched', async () => {
    const r = await mcp.call('get_cluster_status', { name: 'pg-nowhere' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`\\(HTTP 404\\): .*"pg-nowhere" not found in namespace ${ns}`));
  });
});
