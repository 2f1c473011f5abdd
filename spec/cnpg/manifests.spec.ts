import { describe, expect, it } from 'vitest';
import {
  buildBackup,
  buildCluster,
  buildDatabase,
  buildPooler,
  buildRoleSecret,
  buildScheduledBackup,
  generatePassword,
  rfc3339,
  roleFields,
} from '../../src/cnpg/manifests.js';

describe('buildCluster', () => {
  it('maps the tool input to spec fields CloudNativePG reads', () => {
    const c = buildCluster({
      name: 'pg',
      namespace: 'team',
      instances: 3,
      storage_size: '20Gi',
      storage_class: 'fast',
      postgres_version: 17,
      database: 'orders',
      owner: 'orders_owner',
      parameters: { max_connections: '200' },
      cpu: '2',
      memory: '4Gi',
    });
    expect(c.metadata).toMatchObject({ name: 'pg', namespace: 'team', labels: { 'app.kubernetes.io/managed-by': 'cnpg-mcp' } });
    expect(c.spec).toEqual({
      instances: 3,
      storage: { size: '20Gi', storageClass: 'fast' },
      imageName: 'ghcr.io/cloudnative-pg/postgresql:17',
      bootstrap: { initdb: { database: 'orders', owner: 'orders_owner' } },
      postgresql: { parameters: { max_connections: '200' } },
      resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    });
  });

  it('leaves optional parts out so the operator defaults them', () => {
    const c = buildCluster({ name: 'pg', namespace: 'ns', instances: 1, storage_size: '1Gi' });
    expect(c.spec).toEqual({ instances: 1, storage: { size: '1Gi' } });
  });

  it('prefers an explicit image over a major version', () => {
    const c = buildCluster({ name: 'pg', namespace: 'ns', instances: 1, storage_size: '1Gi', image: 'registry.local/pg:17.5', postgres_version: 16 });
    expect(c.spec?.imageName).toBe('registry.local/pg:17.5');
  });
});

describe('role helpers', () => {
  it('generates long passwords from an unambiguous alphabet, different each time', () => {
    const a = generatePassword();
    const b = generatePassword();
    expect(a).toHaveLength(32);
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
    expect(a).not.toBe(b);
  });

  it('builds a basic-auth Secret the operator reloads', () => {
    const s = buildRoleSecret('ns', 'pg', 'app_reader', 'pw');
    expect(s.type).toBe('kubernetes.io/basic-auth');
    expect(s.metadata?.name).toBe('pg-role-app-reader');
    expect(s.metadata?.labels).toMatchObject({ 'cnpg.io/cluster': 'pg', 'cnpg.io/reload': 'true' });
    expect(s.stringData).toEqual({ username: 'app_reader', password: 'pw' });
  });

  it('maps only the attributes given', () => {
    expect(roleFields({ login: true, connection_limit: 5, in_roles: ['pg_monitor'] })).toEqual({ login: true, connectionLimit: 5, inRoles: ['pg_monitor'] });
    expect(roleFields({})).toEqual({});
  });
});

describe('other builders', () => {
  it('Database object: RFC 1123 object name, PostgreSQL name kept', () => {
    const d = buildDatabase({ namespace: 'ns', cluster: 'pg', database: 'my_db', owner: 'app', reclaim_policy: 'delete', extensions: ['pg_trgm'] });
    expect(d.metadata.name).toBe('pg-my-db');
    expect(d.spec).toMatchObject({
      cluster: { name: 'pg' },
      name: 'my_db',
      owner: 'app',
      ensure: 'present',
      databaseReclaimPolicy: 'delete',
      extensions: [{ name: 'pg_trgm', ensure: 'present' }],
    });
  });

  it('Backup and ScheduledBackup carry method, target and plugin', () => {
    expect(
      buildBackup({ namespace: 'ns', cluster: 'pg', name: 'b1', method: 'plugin', plugin_name: 'barman-cloud.cloudnative-pg.io', target: 'primary' }).spec,
    ).toEqual({
      cluster: { name: 'pg' },
      method: 'plugin',
      target: 'primary',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });
    expect(
      buildScheduledBackup({
        namespace: 'ns',
        cluster: 'pg',
        name: 's1',
        method: 'volumeSnapshot',
        schedule: '0 0 2 * * *',
        immediate: true,
        backup_owner_reference: 'self',
      }).spec,
    ).toEqual({
      cluster: { name: 'pg' },
      method: 'volumeSnapshot',
      schedule: '0 0 2 * * *',
      immediate: true,
      backupOwnerReference: 'self',
    });
  });

  it('Pooler carries type, instances and pgbouncer settings', () => {
    expect(
      buildPooler({ namespace: 'ns', cluster: 'pg', name: 'p', type: 'ro', instances: 2, pool_mode: 'transaction', parameters: { max_client_conn: '500' } })
        .spec,
    ).toEqual({
      cluster: { name: 'pg' },
      type: 'ro',
      instances: 2,
      pgbouncer: { poolMode: 'transaction', parameters: { max_client_conn: '500' } },
    });
  });

  it('rfc3339 drops milliseconds like kubectl cnpg', () => {
    expect(rfc3339(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z');
  });
});
