// Issue #12, item 8: roles declared as DatabaseRole objects (operator 1.30) are listed beside
// spec.managed.roles, marked which is which, and changed where they are declared.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { customObjects } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';
import { intentFixtures } from './intent-fixtures.js';

let ns: string;
let mcp: StdioSession;
let api: ReturnType<typeof objectReader>;
const MANAGED = { name: 'managed_one', ensure: 'present', login: true };

beforeAll(async () => {
  ns = await createTestNamespace('intent-roles');
  api = objectReader(e2eKubeConfig(), ns);
  await intentFixtures(ns).frozenCluster('pgd', { managed: { roles: [MANAGED] } });
  await customObjects(e2eKubeConfig()).create('DatabaseRole', ns, {
    metadata: { name: 'pgd-reporter' },
    spec: { cluster: { name: 'pgd' }, name: 'reporter', login: true, ensure: 'present' },
  });
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
});
afterAll(async () => mcp?.close());

describe('DatabaseRole objects beside spec.managed.roles', () => {
  it('list_postgres_roles shows both and says where each is declared', async () => {
    const r = await mcp.call('list_postgres_roles', { cluster_name: 'pgd' });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.roles).toEqual([
      expect.objectContaining({ name: 'managed_one', source: 'managed' }),
      expect.objectContaining({ name: 'reporter', source: 'DatabaseRole', object: 'pgd-reporter', login: true }),
    ]);
    expect(r.text).toContain('reporter (present; DatabaseRole pgd-reporter) login');
    expect(r.text).toContain('managed_one (present; spec.managed.roles) login');
  });

  it('create_postgres_role refuses a name a DatabaseRole already declares', async () => {
    const r = await mcp.call('create_postgres_role', { cluster_name: 'pgd', role_name: 'reporter' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/role reporter already exists/);
    expect(await api.secret('pgd-role-reporter')).toBeUndefined();
  });

  it('update_postgres_role changes the DatabaseRole, not the Cluster', async () => {
    const before = (await api.get('clusters', 'pgd'))?.spec.managed.roles;
    expect(before).toEqual([expect.objectContaining(MANAGED)]);
    const r = await mcp.call('update_postgres_role', { cluster_name: 'pgd', role_name: 'reporter', createdb: true });
    expect(r.isError, r.text).toBe(false);
    expect((await api.get('databaseroles', 'pgd-reporter'))?.spec).toMatchObject({ name: 'reporter', createdb: true, login: true, cluster: { name: 'pgd' } });
    expect((await api.get('clusters', 'pgd'))?.spec.managed.roles).toEqual(before);
  });

  it('delete_postgres_role deletes the DatabaseRole with reclaim policy delete (the operator refuses ensure=absent there)', async () => {
    const before = (await api.get('clusters', 'pgd'))?.spec.managed.roles;
    const r = await mcp.call('delete_postgres_role', { cluster_name: 'pgd', role_name: 'reporter' });
    expect(r.isError, r.text).toBe(false);
    expect(r.text).toContain('DatabaseRole pgd-reporter deleted with databaseRoleReclaimPolicy=delete');
    // The operator's finalizer may keep it a moment, marked for deletion, with the policy set.
    await waitFor(
      async () => {
        const left = await api.get('databaseroles', 'pgd-reporter');
        return (
          left === undefined ||
          ((left.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined && left.spec.databaseRoleReclaimPolicy === 'delete')
        );
      },
      { what: 'DatabaseRole pgd-reporter to be deleted', timeoutMs: 10_000 },
    );
    expect((await api.get('clusters', 'pgd'))?.spec.managed.roles).toEqual(before);
  });
});
