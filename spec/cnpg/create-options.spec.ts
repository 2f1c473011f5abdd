// The create options of issue #15: what each puts in the manifest (the CRD field names of
// operator 1.30, api/v1 and config/crd/bases), and what the tool schemas refuse through the SDK's
// real client. e2e/postgres.e2e.ts sends them to a real API server (and, with pods, to PostgreSQL).
import { describe, expect, it } from 'vitest';
import { buildCluster, buildDatabase, roleFields } from '../../src/cnpg/manifests.js';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

const base = { name: 'pg', namespace: 'ns', instances: 2, storage_size: '1Gi' };

describe('create_postgres_cluster scheduling and image options', () => {
  it('image pull policy at the top of the spec; node selector, tolerations and affinity inside spec.affinity', () => {
    const c = buildCluster({
      ...base,
      image: 'registry.local/postgresql:17.5',
      image_pull_policy: 'IfNotPresent',
      node_selector: { disktype: 'ssd' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'postgres', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', toleration_seconds: 30 },
      ],
      affinity: { enable_pod_anti_affinity: true, topology_key: 'topology.kubernetes.io/zone', pod_anti_affinity_type: 'required' },
    });
    expect(c.spec).toMatchObject({ imageName: 'registry.local/postgresql:17.5', imagePullPolicy: 'IfNotPresent' });
    expect(c.spec?.affinity).toEqual({
      enablePodAntiAffinity: true,
      topologyKey: 'topology.kubernetes.io/zone',
      podAntiAffinityType: 'required',
      nodeSelector: { disktype: 'ssd' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'postgres', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
    });
  });

  it('a node affinity goes through as it is; nothing asked, no affinity at all', () => {
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }],
      },
    };
    expect(buildCluster({ ...base, affinity: { node_affinity: nodeAffinity } }).spec?.affinity).toEqual({ nodeAffinity });
    const plain = buildCluster(base).spec!;
    expect('affinity' in plain).toBe(false);
    expect('imagePullPolicy' in plain).toBe(false);
  });
});

describe('create_postgres_database encoding, locale, template', () => {
  it('map to the Database fields of the same names, only when given', () => {
    const d = buildDatabase({
      namespace: 'ns',
      cluster: 'pg',
      database: 'legacy',
      owner: 'app',
      reclaim_policy: 'retain',
      encoding: 'LATIN1',
      locale: 'C',
      template: 'template0',
    });
    expect(d.spec).toMatchObject({ encoding: 'LATIN1', locale: 'C', template: 'template0' });
    const plain = buildDatabase({ namespace: 'ns', cluster: 'pg', database: 'plain', owner: 'app', reclaim_policy: 'retain' }).spec!;
    expect(Object.keys(plain)).not.toContain('encoding');
    expect(Object.keys(plain)).not.toContain('template');
  });
});

describe('role attributes', () => {
  it('disable_password, bypassrls, inherit, connection_limit, valid_until map to spec.managed.roles fields', () => {
    expect(roleFields({ disable_password: true, bypassrls: true, inherit: false, connection_limit: 3, valid_until: '2030-01-01T00:00:00Z' })).toEqual({
      disablePassword: true,
      bypassrls: true,
      inherit: false,
      connectionLimit: 3,
      validUntil: '2030-01-01T00:00:00Z',
    });
  });
});

describe('what the schemas refuse, through the MCP client', () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['create_postgres_cluster', { name: 'pg', image_pull_policy: 'Sometimes' }, /image_pull_policy/],
    ['create_postgres_cluster', { name: 'pg', node_selector: { 'bad key!': 'x' } }, /node_selector/],
    ['create_postgres_cluster', { name: 'pg', tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, /operator Exists takes no value/],
    ['create_postgres_cluster', { name: 'pg', tolerations: [{ key: 'k', effect: 'Sometimes' }] }, /effect/],
    ['create_postgres_cluster', { name: 'pg', affinity: { pod_anti_affinity_type: 'always' } }, /pod_anti_affinity_type/],
    ['create_postgres_cluster', { name: 'pg', affinity: { nodeSelector: { a: 'b' } } }, /nodeSelector/],
    ['create_postgres_database', { cluster_name: 'pg', database_name: 'd', owner: 'app', locale: "C'; DROP" }, /locale/],
    ['create_postgres_database', { cluster_name: 'pg', database_name: 'd', owner: 'app', encoding: 'UTF 8' }, /encoding/],
    ['create_postgres_database', { cluster_name: 'pg', database_name: 'd', owner: 'app', template: 'Template-0' }, /template/],
    [
      'update_postgres_role',
      { cluster_name: 'pg', role_name: 'r', disable_password: true, rotate_password: true },
      /disable_password=true removes the password/,
    ],
  ];
  for (const [tool, args, why] of refused) {
    it(`${tool} ${JSON.stringify(args)}: isError naming the argument, nothing changed`, async () => {
      const conn = await connectInMemory(testDeps());
      try {
        const r = await conn.client.callTool({ name: tool, arguments: args });
        const text = ((r.content ?? []) as { text?: string }[]).map((c) => c.text).join('\n');
        expect(r.isError, text).toBe(true);
        expect(text).toMatch(why);
      } finally {
        await conn.close();
      }
    });
  }
});
