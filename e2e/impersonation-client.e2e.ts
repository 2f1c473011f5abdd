// The Kubernetes side of --impersonate: the API server sees the principal's user and groups.
// (The HTTP side, tokens mapped to principals, is proven in impersonation.e2e.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { CnpgClient } from '../src/cnpg/client.js';
import { impersonatingConfig } from '../src/cnpg/impersonation.js';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';

let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('imp');
  await new CnpgClient(e2eKubeConfig()).create('cluster', ns, { metadata: { name: 'pg' }, spec: { instances: 1, storage: { size: '1Gi' } } });
});

describe('impersonating client', () => {
  it('a user without RBAC rights is refused by the API server (403)', async () => {
    const client = new CnpgClient(impersonatingConfig(e2eKubeConfig(), { user: 'mallory', groups: [] }));
    await expect(client.get('cluster', ns, 'pg')).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
    await expect(client.patch('cluster', ns, 'pg', { spec: { instances: 3 } })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('every group is sent: the same user in an admin group succeeds', async () => {
    const client = new CnpgClient(impersonatingConfig(e2eKubeConfig(), { user: 'mallory', groups: ['team-a', 'system:masters'] }));
    expect((await client.get('cluster', ns, 'pg')).metadata.name).toBe('pg');
    // The forbidden message names the impersonated user, proving the header reached the API server.
    const denied = new CnpgClient(impersonatingConfig(e2eKubeConfig(), { user: 'mallory', groups: ['team-a'] }));
    await expect(denied.list('cluster', ns)).rejects.toThrow(/mallory/);
  });
});
