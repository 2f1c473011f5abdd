// Cluster objects the operator leaves alone (cnpg.io/reconciliationLoop=disabled), whose status
// a spec writes itself with the admin kubeconfig: what the live-feature specs need to make a
// phase, primary or ready count change on cue, on the API-only plane as on the node.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { cnpgApiVersion } from '../../test-support/kube.js';
import { e2eKubeConfig } from './cluster.js';

const ref = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const api = () => e2eKubeConfig().makeApiClient(CustomObjectsApi);

/** The clusters of one namespace (a function: the spec's namespace is known only once it runs). */
export function statusOnlyClusters(namespace: () => string) {
  const patchStatus = async (name: string, status: Record<string, unknown>): Promise<void> => {
    await api().patchNamespacedCustomObjectStatus({ ...ref, namespace: namespace(), name, body: { status } }, mergePatch);
  };
  return {
    /** A 2-instance Cluster, its status set to a primary being set up (pg-1, nothing ready). */
    async create(name: string): Promise<void> {
      await api().createNamespacedCustomObject({
        ...ref,
        namespace: namespace(),
        body: {
          apiVersion: cnpgApiVersion,
          kind: 'Cluster',
          metadata: { name, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
          spec: { instances: 2, storage: { size: '1Gi' } },
        },
      });
      await patchStatus(name, { phase: 'Setting up primary', currentPrimary: `${name}-1`, readyInstances: 0 });
    },
    patchStatus,
    async remove(name: string): Promise<void> {
      await api().deleteNamespacedCustomObject({ ...ref, namespace: namespace(), name });
    },
  };
}
