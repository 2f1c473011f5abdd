// Reads objects back from the API server so e2e specs assert effects, not tool replies.
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod, type V1Secret } from '@kubernetes/client-node';

type Obj = { metadata: { name: string; annotations?: Record<string, string>; resourceVersion?: string }; spec?: any; status?: any };

export function objectReader(kc: KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const ref = (plural: string) => ({ group: 'postgresql.cnpg.io', version: 'v1', plural, namespace });
  /** undefined when the API answers 404; any other failure is thrown. */
  const orUndefined = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  };
  return {
    get: (plural: string, name: string) => orUndefined(() => custom.getNamespacedCustomObject({ ...ref(plural), name }) as Promise<Obj>),
    list: async (plural: string) => ((await custom.listNamespacedCustomObject(ref(plural))) as { items: Obj[] }).items,
    secret: (name: string) => orUndefined<V1Secret>(() => core.readNamespacedSecret({ namespace, name })),
    pod: (name: string) => orUndefined<V1Pod>(() => core.readNamespacedPod({ namespace, name })),
    /**
     * A Pod object the operator can recognise as an instance, inert on every cluster: a
     * scheduling gate keeps it unscheduled, so no kubelet runs it or overwrites the status a spec
     * sets through pods/status, and deleting it takes effect at once (nobody must confirm it).
     */
    createInstancePod: (cluster: string, name: string) =>
      core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name, labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/instanceName': name, 'cnpg.io/instanceRole': 'replica', 'cnpg.io/podRole': 'instance' } },
          spec: { schedulingGates: [{ name: 'cnpg-mcp.io/e2e-inert' }], containers: [{ name: 'postgres', image: 'ghcr.io/cloudnative-pg/postgresql:17' }] },
        },
      }),
    createRawCluster: (body: Record<string, unknown>) => custom.createNamespacedCustomObject({ ...ref('clusters'), body }),
  };
}
