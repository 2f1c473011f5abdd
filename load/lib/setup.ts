// What a run needs on the cluster: one CloudNativePG Cluster for get_cluster_status to read.
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';

export const BENCH_CLUSTER = { name: 'bench-pg', namespace: 'default' } as const;

/** Creates the Cluster unless it exists (the operator's webhook fills in defaults). */
export async function ensureBenchCluster(kubeconfigPath: string, cluster: { name: string; namespace: string } = BENCH_CLUSTER): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'postgresql.cnpg.io', version: 'v1', namespace: cluster.namespace, plural: 'clusters' };
  try {
    await api.createNamespacedCustomObject({
      ...ref,
      body: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: cluster.name }, spec: { instances: 1, storage: { size: '1Gi' } } },
    });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
}
