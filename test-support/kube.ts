// Reading and writing Kubernetes objects from tests, so specs assert effects read back from the API
// server rather than tool replies: API errors that carry the API server's own Status, typed
// get/list/create/delete of CloudNativePG objects, and a reader that answers undefined for 404.
// Used by the e2e suite, the load harness and the demo (issue #16).
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Condition,
  type V1ObjectMeta,
  type V1Pod,
  type V1Secret,
  type V1Status,
} from '@kubernetes/client-node';

/** A KubeConfig read from `path` (an admin kubeconfig of the cluster under test). */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** An API error with the status code and the Status the API server sent (message, reason, causes). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly status: V1Status | undefined,
  ) {
    super(`${code} ${status?.reason ?? 'error'}: ${status?.message ?? '(no Status body)'}`);
  }
}

/** ApiException → KubeApiError (its body is the Status as JSON text); anything else unchanged. */
export function toKubeApiError(error: unknown): unknown {
  if (!(error instanceof ApiException)) return error;
  const body: unknown = error.body;
  let status: V1Status | undefined;
  try {
    status = (typeof body === 'string' ? JSON.parse(body) : body) as V1Status | undefined;
  } catch {
    status = { message: String(body) };
  }
  return new KubeApiError(error.code, status);
}

export function rethrowAsKubeApiError(error: unknown): never {
  throw toKubeApiError(error);
}

// --- CloudNativePG objects -------------------------------------------------------------------

export const cnpgApiVersion = 'postgresql.cnpg.io/v1';

/** Namespaced kinds of postgresql.cnpg.io/v1 and their resource names. */
export const cnpgPlurals = {
  Cluster: 'clusters',
  Backup: 'backups',
  ScheduledBackup: 'scheduledbackups',
  Pooler: 'poolers',
  Database: 'databases',
  DatabaseRole: 'databaseroles',
  Publication: 'publications',
  Subscription: 'subscriptions',
  ImageCatalog: 'imagecatalogs',
  FailoverQuorum: 'failoverquorums',
} as const;
export type CnpgKind = keyof typeof cnpgPlurals;

export interface CnpgObject<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  apiVersion: typeof cnpgApiVersion;
  kind: CnpgKind;
  metadata: V1ObjectMeta;
  spec?: Spec;
  status?: Status;
}

/** The Cluster status fields specs look at; the rest stays reachable through the index. */
export interface CnpgClusterStatus {
  phase?: string;
  phaseReason?: string;
  instances?: number;
  readyInstances?: number;
  currentPrimary?: string;
  targetPrimary?: string;
  conditions?: V1Condition[];
  [field: string]: unknown;
}
export type CnpgCluster = CnpgObject<Record<string, unknown>, CnpgClusterStatus>;
export type CnpgObjectOf<K extends CnpgKind> = K extends 'Cluster' ? CnpgCluster : CnpgObject;

/** What create() needs; apiVersion and kind are filled in. */
export interface NewCnpgObject {
  metadata: V1ObjectMeta & { name: string };
  spec: Record<string, unknown>;
}

/** Typed get/list/create/delete of CloudNativePG objects; failures are KubeApiErrors. */
export function customObjects(kc: KubeConfig) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const at = (kind: CnpgKind, namespace: string) => ({
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: cnpgPlurals[kind],
    namespace,
  });
  return {
    async get<K extends CnpgKind>(kind: K, namespace: string, name: string): Promise<CnpgObjectOf<K>> {
      return api.getNamespacedCustomObject({ ...at(kind, namespace), name }).catch(rethrowAsKubeApiError);
    },
    async list<K extends CnpgKind>(kind: K, namespace: string): Promise<CnpgObjectOf<K>[]> {
      const list = (await api.listNamespacedCustomObject(at(kind, namespace)).catch(rethrowAsKubeApiError)) as {
        items: CnpgObjectOf<K>[];
      };
      return list.items;
    },
    async create<K extends CnpgKind>(kind: K, namespace: string, object: NewCnpgObject): Promise<CnpgObjectOf<K>> {
      const body = { apiVersion: cnpgApiVersion, kind, ...object };
      return api.createNamespacedCustomObject({ ...at(kind, namespace), body }).catch(rethrowAsKubeApiError);
    },
    async delete(kind: CnpgKind, namespace: string, name: string): Promise<void> {
      await api.deleteNamespacedCustomObject({ ...at(kind, namespace), name }).catch(rethrowAsKubeApiError);
    },
  };
}

// --- Any object, 404 as undefined -----------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: specs read deep fields of whatever object the API returned; a wrong path fails the assertion.
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
          metadata: {
            name,
            labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/instanceName': name, 'cnpg.io/instanceRole': 'replica', 'cnpg.io/podRole': 'instance' },
          },
          spec: { schedulingGates: [{ name: 'cnpg-mcp.io/e2e-inert' }], containers: [{ name: 'postgres', image: 'ghcr.io/cloudnative-pg/postgresql:17' }] },
        },
      }),
    createRawCluster: (body: Record<string, unknown>) => custom.createNamespacedCustomObject({ ...ref('clusters'), body }),
  };
}
