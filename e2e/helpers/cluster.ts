// Shared helpers for every e2e spec: the cluster under test (from e2e/setup/global-setup.ts) and
// namespaces per spec file. Objects are read and written with test-support/kube.ts.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadKubeConfig, rethrowAsKubeApiError } from '../../test-support/kube.js';
import type { ClusterKind } from '../setup/global-setup.js';

export type { ClusterKind };

let kubeConfig: KubeConfig | undefined;

/** The admin KubeConfig of the cluster under test, loaded once per spec file. */
export function e2eKubeConfig(): KubeConfig {
  kubeConfig ??= loadKubeConfig(inject('kubeconfigPath'));
  return kubeConfig;
}

export function clusterKind(): ClusterKind {
  return inject('clusterKind');
}

/** False only on the API-only local plane: it has no kubelet, so pods are created but never run. */
export function podsCanRun(): boolean {
  return inject('podsRun');
}

/** Append to the name of a spec guarded by `it.skipIf(!podsCanRun())`, so the report says why. */
export function skipReasonNoPods(): string {
  return `[needs running pods: skipped because the local cluster runs API-only (${inject('noPodsReason')})]`;
}

/** Creates a namespace named `<prefix>-<random>` and returns its name. */
export async function createTestNamespace(prefix: string): Promise<string> {
  const base =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'e2e';
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await e2eKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name, labels: { 'app.kubernetes.io/part-of': 'cnpg-mcp-e2e' } } } })
    .catch(rethrowAsKubeApiError);
  return name;
}

/**
 * Best effort, never throws. On the local plane the namespace then stays Terminating: emptying it
 * is kube-controller-manager's job, and there is none. Names are unique, so that harms nothing.
 */
export async function deleteTestNamespace(name: string): Promise<void> {
  await e2eKubeConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}

/** A namespace for the enclosing describe block (or file): created in beforeAll, deleted in afterAll. */
export function useTestNamespace(prefix: string): () => string {
  let name: string | undefined;
  beforeAll(async () => {
    name = await createTestNamespace(prefix);
  });
  afterAll(async () => {
    if (name) await deleteTestNamespace(name);
  });
  return () => {
    if (!name) throw new Error('useTestNamespace(): the namespace exists only from beforeAll on');
    return name;
  };
}
