// One Kubernetes cluster per `npm run e2e`, shared by every spec file: the local cluster (etcd +
// kube-apiserver + the CloudNativePG operator, with a real node running pods where the machine
// allows it; LOCAL_CLUSTER=api-only leaves the node out), or an existing cluster.
//   E2E_KUBECONFIG=<path>   use that cluster as is                      -> clusterKind "external"
//   E2E_CLUSTER=kind        use $KUBECONFIG or ~/.kube/config (kind-up)  -> clusterKind "kind"
//   (neither)               start the local cluster                     -> clusterKind "local"
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../../local-cluster/start.js';

export type ClusterKind = 'local' | 'kind' | 'external';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the cluster under test. */
    kubeconfigPath: string;
    clusterKind: ClusterKind;
    /** Whether pods run (a kubelet exists): false only on the API-only local plane. */
    podsRun: boolean;
    /** Why pods do not run, when they do not. */
    noPodsReason: string;
    /** kubectl for exec into pods (psql): the local cluster's own, else the one on PATH. */
    kubectlPath: string;
  }
}

export default async function setup(project: TestProject) {
  const existing = existingCluster();
  if (existing) {
    project.provide('kubeconfigPath', existing.kubeconfigPath);
    project.provide('clusterKind', existing.kind);
    project.provide('podsRun', true);
    project.provide('noPodsReason', '');
    project.provide('kubectlPath', 'kubectl');
    console.log(`[e2e] using the ${existing.kind} cluster of ${existing.kubeconfigPath}`);
    return;
  }
  const plane = await startControlPlane({ log: (line) => console.log(`[e2e] local cluster: ${line}`) });
  project.provide('kubeconfigPath', plane.kubeconfigPath);
  project.provide('clusterKind', 'local');
  project.provide('podsRun', plane.mode === 'pods');
  project.provide('noPodsReason', plane.podsUnavailable ?? 'LOCAL_CLUSTER=api-only');
  project.provide('kubectlPath', plane.kubectl);
  console.log(`[e2e] local cluster (${plane.mode}) at ${plane.server}, kubeconfig ${plane.kubeconfigPath}`);
  return async () => {
    await plane.stop();
  };
}

function existingCluster(): { kubeconfigPath: string; kind: ClusterKind } | undefined {
  const explicit = process.env.E2E_KUBECONFIG;
  if (explicit) return { kubeconfigPath: resolve(explicit), kind: 'external' };
  const requested = process.env.E2E_CLUSTER ?? 'local';
  if (requested === 'local') return undefined;
  if (requested !== 'kind') throw new Error(`E2E_CLUSTER must be "local" or "kind", not "${requested}"`);
  // KUBECONFIG may list several files; kind writes its context into the first one.
  const fromEnv = process.env.KUBECONFIG?.split(delimiter).find(Boolean);
  return { kubeconfigPath: resolve(fromEnv ?? join(homedir(), '.kube', 'config')), kind: 'kind' };
}
