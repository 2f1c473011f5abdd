// The chart's options, rendered by the real helm binary: RBAC follows the server's mode and
// namespaces, optional features appear only when asked for, and each keeps the pod safe.
import type {
  V1ClusterRole,
  V1Deployment,
  V1Ingress,
  V1NetworkPolicy,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config.js';
import { cachedHelm, only, renderChart, type K8sObject, type RenderOptions } from '../../test-support/helm.js';

const helm = cachedHelm();
const skipReason = helm ? '' : ' — skipped: helm is not built yet; run scripts/build-helm.sh (needs Go)';

const render = (values: Record<string, unknown> = {}, options: Omit<RenderOptions, 'values'> = {}) => renderChart(helm!, { ...options, values });
const deploymentOf = (objects: K8sObject[]) => only<V1Deployment>(objects, 'Deployment');
const containerOf = (objects: K8sObject[]) => deploymentOf(objects).spec!.template.spec!.containers[0]!;
const argsOf = (objects: K8sObject[]) => containerOf(objects).args ?? [];

/** Role rules as "group/resource" → verbs, for exact comparison. */
function grants(rules: V1PolicyRule[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of rules)
    for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) out[`${group || 'core'}/${resource}`] = [...rule.verbs].sort();
  return out;
}

const READ = ['get', 'list', 'watch'];
/** Every grant, and which tools need it (docs/deployment.md explains each; e2e/rbac.e2e.ts proves them). */
const FULL: Record<string, string[]> = {
  'postgresql.cnpg.io/clusters': [...READ, 'create', 'patch', 'delete'],
  'postgresql.cnpg.io/clusters/status': ['patch'],
  'postgresql.cnpg.io/backups': [...READ, 'create'],
  'postgresql.cnpg.io/scheduledbackups': [...READ, 'create', 'delete'],
  'postgresql.cnpg.io/poolers': [...READ, 'create', 'delete'],
  'postgresql.cnpg.io/databases': [...READ, 'create', 'patch', 'delete'],
  'postgresql.cnpg.io/databaseroles': [...READ, 'patch', 'delete'],
  'core/pods': ['list', 'delete'],
  'core/pods/log': ['get'],
  'core/pods/proxy': ['get'], // get_cluster_status: each instance manager's /pg/status, as kubectl cnpg status reads it
  'core/events': ['list'],
  'core/persistentvolumeclaims': ['list', 'delete'], // destroy_cluster_instance, as kubectl cnpg destroy
  'batch/jobs': ['list', 'delete'], // destroy_cluster_instance: the instance's jobs
  'core/secrets': ['get', 'create', 'patch', 'delete'],
};
const sorted = (g: Record<string, string[]>) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, [...v].sort()]));

describe.skipIf(!helm)(`RBAC${skipReason}`, () => {
  it('by default: one Role in the release namespace with exactly the grants the tools need, bound to the ServiceAccount', () => {
    const objects = render({}, { namespace: 'mcp' });
    const role = only<V1Role>(objects, 'Role');
    expect(role.metadata!.namespace).toBe('mcp');
    expect(grants(role.rules!)).toEqual(sorted(FULL));
    const binding = only<V1RoleBinding>(objects, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cnpg-mcp' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'cnpg-mcp', namespace: 'mcp' }]);
    expect(objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    expect(argsOf(objects)).toContain('--namespaces=mcp');
  });

  it('rbac.namespaces: a Role and RoleBinding in each, the ServiceAccount from the release namespace, and the same --namespaces', () => {
    const objects = render({ rbac: { namespaces: ['team-a', 'team-b'] } }, { namespace: 'mcp' });
    expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace)).toEqual(['team-a', 'team-b']);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding') as unknown as V1RoleBinding[];
    expect(bindings.map((b) => b.metadata!.namespace)).toEqual(['team-a', 'team-b']);
    for (const b of bindings) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'cnpg-mcp', namespace: 'mcp' }]);
    expect(argsOf(objects)).toContain('--namespaces=team-a,team-b');
  });

  it('rbac.clusterWide: a ClusterRole and ClusterRoleBinding with the same grants, no Role, no --namespaces', () => {
    const objects = render({ rbac: { clusterWide: true } });
    expect(grants(only<V1ClusterRole>(objects, 'ClusterRole').rules!)).toEqual(sorted(FULL));
    expect(only<V1RoleBinding>(objects, 'ClusterRoleBinding').roleRef.kind).toBe('ClusterRole');
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    expect(argsOf(objects).filter((a) => a.startsWith('--namespaces'))).toEqual([]);
  });

  it('server.readOnly: only read verbs, and the server registers only read-only tools', () => {
    const objects = render({ server: { readOnly: true } });
    const g = grants(only<V1Role>(objects, 'Role').rules!);
    expect(
      Object.values(g)
        .flat()
        .filter((v) => !READ.includes(v)),
    ).toEqual([]);
    expect(g['postgresql.cnpg.io/clusters/status']).toBeUndefined();
    // A read-only server hands out no credentials (issue #12, item 18): no Secret verb at all.
    expect(g['core/secrets']).toBeUndefined();
    expect(argsOf(objects)).toContain('--read-only');
    expect(argsOf(objects)).not.toContain('--read-only-credentials');
  });

  it('server.readOnlyCredentials with readOnly: get on Secrets and --read-only-credentials; rbac.readSecrets=false still wins', () => {
    const objects = render({ server: { readOnly: true, readOnlyCredentials: true } });
    expect(grants(only<V1Role>(objects, 'Role').rules!)['core/secrets']).toEqual(['get']); // get_connection_info include_credentials
    expect(argsOf(objects)).toEqual(expect.arrayContaining(['--read-only', '--read-only-credentials']));
    const noSecrets = render({ server: { readOnly: true, readOnlyCredentials: true }, rbac: { readSecrets: false } });
    expect(grants(only<V1Role>(noSecrets, 'Role').rules!)['core/secrets']).toBeUndefined();
  });

  it('server.readOnlyCredentials without readOnly: no flag (it only qualifies --read-only), the full grants', () => {
    const objects = render({ server: { readOnlyCredentials: true } });
    expect(argsOf(objects)).not.toContain('--read-only-credentials');
    expect(grants(only<V1Role>(objects, 'Role').rules!)).toEqual(sorted(FULL));
  });

  it('server.disableDestructive: no delete verbs and no clusters/status (promote), and the server hides destructive tools', () => {
    const objects = render({ server: { disableDestructive: true } });
    const g = grants(only<V1Role>(objects, 'Role').rules!);
    expect(Object.values(g).flat()).not.toContain('delete');
    expect(g['postgresql.cnpg.io/clusters/status']).toBeUndefined();
    expect(g['postgresql.cnpg.io/clusters']).toEqual(['create', 'get', 'list', 'patch', 'watch']);
    expect(argsOf(objects)).toContain('--disable-destructive');
  });

  it('sql.enabled: --allow-sql and create on pods/exec, also read-only; without it neither', () => {
    const off = render({});
    expect(grants(only<V1Role>(off, 'Role').rules!)['core/pods/exec']).toBeUndefined();
    expect(argsOf(off)).not.toContain('--allow-sql');
    for (const readOnly of [false, true]) {
      const on = render({ sql: { enabled: true }, server: { readOnly } });
      expect(grants(only<V1Role>(on, 'Role').rules!)['core/pods/exec']).toEqual(['create']);
      expect(argsOf(on)).toContain('--allow-sql');
    }
  });

  it('rbac.readSecrets=false: Secrets can be written for role passwords but not read', () => {
    const g = grants(only<V1Role>(render({ rbac: { readSecrets: false } }), 'Role').rules!);
    expect(g['core/secrets']).toEqual(['create', 'delete', 'patch']);
  });
});

describe.skipIf(!helm)(`Deployment options${skipReason}`, () => {
  it('tls: the certificate Secret as a directory, the flags, HTTPS probes', () => {
    const objects = render({ tls: { enabled: true, secretName: 'srv-tls' } });
    const c = containerOf(objects);
    const volume = deploymentOf(objects).spec!.template.spec!.volumes!.find((v) => v.secret?.secretName === 'srv-tls')!;
    const mount = c.volumeMounts!.find((m) => m.name === volume.name)!;
    expect(mount.subPath).toBeUndefined();
    expect(c.args).toEqual(expect.arrayContaining([`--tls-cert=${mount.mountPath}/tls.crt`, `--tls-key=${mount.mountPath}/tls.key`]));
    expect(c.livenessProbe!.httpGet!.scheme).toBe('HTTPS');
    expect(c.readinessProbe!.httpGet!.scheme).toBe('HTTPS');
  });

  it('redis from a Secret: an env var the --redis-url flag expands, so the URL never sits in the pod spec', () => {
    const c = containerOf(render({ redis: { existingSecret: { name: 'redis', key: 'url' } } }));
    expect(c.args).toContain('--redis-url=$(CNPG_MCP_REDIS_URL)');
    expect(c.env).toContainEqual({ name: 'CNPG_MCP_REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis', key: 'url' } } });
  });

  it('auth.tokens: a chart-managed Secret, one token per line; auth.enabled=false: no flag, no mount', () => {
    const tokens = ['a'.repeat(32), 'b'.repeat(32)];
    const secret = only<V1Secret>(render({ auth: { tokens } }), 'Secret');
    expect(secret.metadata!.name).toBe('cnpg-mcp-auth');
    expect(secret.stringData!.tokens!.trim().split('\n')).toEqual(tokens);
    const open = render({ auth: { enabled: false } });
    expect(argsOf(open).filter((a) => a.startsWith('--auth'))).toEqual([]);
    expect(containerOf(open).volumeMounts!.map((m) => m.mountPath)).toEqual(['/tmp']);
  });

  it('metrics.port: its own container port, Service port, and the ServiceMonitor scrapes it', () => {
    const objects = render({ metrics: { port: 9090 }, serviceMonitor: { enabled: true } });
    expect(argsOf(objects)).toContain('--metrics-port=9090');
    expect(only<V1Service>(objects, 'Service').spec!.ports!.map((p) => p.name)).toEqual(['http', 'metrics']);
    const monitor = only<{ spec: { endpoints: { port: string; path: string }[] } }>(objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics', scheme: 'http' });
  });

  it('one replica: no PodDisruptionBudget (minAvailable 1 would block every drain); two: minAvailable 1', () => {
    expect(render({ replicaCount: 1 }).filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(only<{ spec: { minAvailable: number } }>(render(), 'PodDisruptionBudget').spec.minAvailable).toBe(1);
  });

  it('values outside the schema are refused by helm itself', () => {
    expect(() => render({ replicaCount: 0 })).toThrow(/replicaCount/);
    expect(() => render({ rbac: { namespace: 'typo' } })).toThrow(/additional properties/);
    expect(() => render({ auth: { oidc: { issuer: 'https://idp.example.com' } } })).toThrow(/audience/);
  });

  it('auth.oidc and auth.impersonate: the OIDC flags, --impersonate, and a ClusterRole that may impersonate users and groups only', () => {
    const objects = render({ auth: { oidc: { issuer: 'https://idp.example.com', audience: ['cnpg-mcp', 'ops'] }, impersonate: true } });
    expect(argsOf(objects)).toEqual(
      expect.arrayContaining(['--oidc-issuer=https://idp.example.com', '--oidc-audience=cnpg-mcp,ops', '--oidc-groups-claim=groups', '--impersonate']),
    );
    const role = only<V1ClusterRole>(objects, 'ClusterRole', 'cnpg-mcp-impersonate');
    expect(grants(role.rules!)).toEqual({ 'core/users': ['impersonate'], 'core/groups': ['impersonate'] });
    const binding = only<V1RoleBinding>(objects, 'ClusterRoleBinding', 'cnpg-mcp-impersonate');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'cnpg-mcp', namespace: 'cnpg-mcp' }]);
    const plain = render();
    expect(argsOf(plain).filter((a) => a.startsWith('--oidc') || a === '--impersonate')).toEqual([]);
    expect(plain.filter((o) => o.kind === 'ClusterRole')).toEqual([]);
  });
});

describe.skipIf(!helm)(`Ingress${skipReason}`, () => {
  it('keeps SSE streams working through ingress-nginx, asks cert-manager for the certificate, and lets annotations override', () => {
    const objects = render({
      ingress: {
        enabled: true,
        className: 'nginx',
        certManagerClusterIssuer: 'letsencrypt',
        annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '7200' },
        tls: [{ secretName: 'web-tls', hosts: ['cnpg-mcp.example.com'] }],
      },
    });
    const ingress = only<V1Ingress>(objects, 'Ingress');
    expect(ingress.metadata!.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '7200',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(ingress.spec!.rules![0]!.http!.paths[0]!.backend.service).toEqual({ name: 'cnpg-mcp', port: { name: 'http' } });
    expect(ingress.spec!.tls).toEqual([{ secretName: 'web-tls', hosts: ['cnpg-mcp.example.com'] }]);
  });

  it('is off by default', () => {
    expect(render().filter((o) => o.kind === 'Ingress')).toEqual([]);
  });
});

describe.skipIf(!helm)(`NetworkPolicy${skipReason}`, () => {
  it('by default: clients only from the release namespace; egress only to the API server ports and DNS', () => {
    const policy = only<V1NetworkPolicy>(render({}, { namespace: 'mcp' }), 'NetworkPolicy');
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec!.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mcp' } } }], ports: [{ port: 3000, protocol: 'TCP' }] },
    ]);
    expect(policy.spec!.egress).toEqual([
      {
        ports: [
          { port: 443, protocol: 'TCP' },
          { port: 6443, protocol: 'TCP' },
        ],
      },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('allowed namespaces and selectors, the API server CIDR, Redis when configured, and extra egress rules', () => {
    const policy = only<V1NetworkPolicy>(
      render({
        networkPolicy: {
          ingress: { namespaces: ['ingress-nginx', 'monitoring'], namespaceSelectors: [{ matchLabels: { team: 'data' } }] },
          egress: {
            apiServer: { cidrs: ['172.18.0.2/32'], ports: [6443] },
            redisTo: [{ podSelector: { matchLabels: { app: 'redis' } } }],
            extra: [{ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ port: 53, protocol: 'UDP' }] }],
          },
        },
        redis: { url: 'redis://redis:6379' },
      }),
      'NetworkPolicy',
    );
    expect((policy.spec!.ingress![0] as { from?: unknown }).from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { team: 'data' } } },
    ]);
    expect(policy.spec!.egress![0]).toEqual({ ports: [{ port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '172.18.0.2/32' } }] });
    expect(policy.spec!.egress![2]).toEqual({ ports: [{ port: 6379, protocol: 'TCP' }], to: [{ podSelector: { matchLabels: { app: 'redis' } } }] });
    expect(policy.spec!.egress![3]).toEqual({ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ port: 53, protocol: 'UDP' }] });
  });
});

/** Flags the chart passes that the security work adds to the server (shared brief); not yet in src/config.ts. */
const PENDING_FLAGS = new Set(['auth-tokens-file', 'tls-cert', 'tls-key', 'redis-url', 'metrics-port']);

describe.skipIf(!helm)(`every flag the chart passes is a server option${skipReason}`, () => {
  const everything = helm
    ? argsOf(
        render({
          server: { readOnly: true, readOnlyCredentials: true, disableDestructive: true, defaultNamespace: 'team-a' },
          auth: { oidc: { issuer: 'https://idp.example.com', audience: ['a'], jwksUri: 'https://idp.example.com/keys' }, impersonate: true },
          tls: { enabled: true, secretName: 'srv-tls' },
          redis: { url: 'redis://redis:6379' },
          metrics: { port: 9090 },
        }),
      )
    : [];
  const flags = [...new Set(everything.map((a) => /^--([a-z-]+)/.exec(a)?.[1]).filter((f): f is string => f !== undefined))];
  for (const flag of flags) {
    const known = flag in OPTIONS;
    if (!known && PENDING_FLAGS.has(flag)) it.todo(`--${flag} (passed by the chart; the server option is being implemented)`);
    else it(`--${flag}`, () => expect(known, `--${flag} is not in src/config.ts OPTIONS`).toBe(true));
  }
});
