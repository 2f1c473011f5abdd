// What a run needs on the cluster: one CloudNativePG Cluster for get_cluster_status to read.
import { customObjects, KubeApiError, loadKubeConfig } from '../../test-support/kube.js';

export const BENCH_CLUSTER = { name: 'bench-pg', namespace: 'default' } as const;

/** Creates the Cluster unless it exists (the operator's webhook fills in defaults). */
export async function ensureBenchCluster(kubeconfigPath: string, cluster: { name: string; namespace: string } = BENCH_CLUSTER): Promise<void> {
  try {
    await customObjects(loadKubeConfig(kubeconfigPath)).create('Cluster', cluster.namespace, {
      metadata: { name: cluster.name },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409)) throw err;
  }
}
