// Fixtures for specs of tools that guard on a Cluster's status (issue #12): a Cluster whose status
// the spec sets by hand, which the operator leaves alone (cnpg.io/reconciliationLoop=disabled), and
// instance pods made Ready through pods/status (the API-only plane has no kubelet to change it).
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { e2eKubeConfig } from './helpers/cluster.js';
import { objectReader } from '../test-support/kube.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const clusterRef = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' };

/** A status the switchover guard accepts: `<cluster>-1` is primary and target, phase healthy. */
export const healthyStatus = (cluster: string) => ({
  currentPrimary: `${cluster}-1`,
  targetPrimary: `${cluster}-1`,
  phase: 'Cluster in healthy state',
  phaseReason: 'set by the spec',
});

export function intentFixtures(namespace: string) {
  const kc = e2eKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const api = objectReader(kc, namespace);
  return {
    /** A Cluster the operator does not reconcile, with `spec` merged in and `status` set as given. */
    async frozenCluster(name: string, spec: Record<string, unknown> = {}, status?: Record<string, unknown>) {
      await api.createRawCluster({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
        spec: { instances: 2, storage: { size: '1Gi' }, ...spec },
      });
      if (status) await custom.patchNamespacedCustomObjectStatus({ ...clusterRef, namespace, name, body: { status } }, mergePatch);
    },
    /** Merge-patches a Cluster's spec as the admin (what a person with kubectl would have set up). */
    async patchClusterSpec(name: string, spec: Record<string, unknown>) {
      await custom.patchNamespacedCustomObject({ ...clusterRef, namespace, name, body: { spec } }, mergePatch);
    },
    /** An instance pod of `cluster`; with `ready`, its Ready condition is True. */
    async instancePod(cluster: string, name: string, ready: boolean) {
      if (!(await api.pod(name))) await api.createInstancePod(cluster, name);
      if (!ready) return;
      const condition = { type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() };
      await core.patchNamespacedPodStatus({ namespace, name, body: { status: { phase: 'Running', conditions: [condition] } } }, mergePatch);
    },
  };
}
