// A narrow identity for one e2e case: a ServiceAccount bound to a Role with exactly the given
// rules, and a kubeconfig whose only credential is a TokenRequest token for it (same API server
// and CA as the admin kubeconfig). For a server that must run without some permission (e.g.
// pods/exec) while the cluster under test stays the admin-made one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { waitFor } from '../../test-support/wait.js';
import { e2eKubeConfig } from './cluster.js';

/** Creates the ServiceAccount, Role and RoleBinding `name` in `namespace`; returns the kubeconfig's path. */
export async function serviceAccountKubeconfig(namespace: string, name: string, rules: V1PolicyRule[]): Promise<string> {
  const admin = e2eKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  // No audiences: the API server's own. One hour outlives the spec file.
  const token = (await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status!.token;
  const path = writeTokenKubeconfig(mkdtempSync(join(tmpdir(), 'cnpg-mcp-sa-')), name, token!, namespace);
  // RBAC takes effect once the authorizer's informers see the binding: wait for a granted read.
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor(() => custom.listNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', namespace }).then(() => true), {
    what: `the Role ${name} to take effect`,
    timeoutMs: 30_000,
  });
  return path;
}

/**
 * A kubeconfig at <dir>/<user>.kubeconfig whose only credential is `token`, on the admin
 * kubeconfig's API server and CA, with `namespace` as its default; returns its path.
 */
export function writeTokenKubeconfig(dir: string, user: string, token: string, namespace: string): string {
  const cluster = e2eKubeConfig().getCurrentCluster()!;
  const path = join(dir, `${user}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: {
          server: cluster.server,
          ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
          ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}),
          ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user, namespace } }],
    'current-context': 'e2e',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
