// Shared helpers for every e2e spec: the cluster under test (from e2e/setup/global-setup.ts),
// namespaces per spec file, one wait helper, typed access to CloudNativePG objects, and API errors
// that carry the API server's own message.
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Condition,
  type V1ObjectMeta,
  type V1Status,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ClusterKind } from '../setup/global-setup.js';

export { waitFor, type WaitOptions } from '../../test-support/wait.js';
export type { ClusterKind };

let kubeConfig: KubeConfig | undefined;

/** The admin KubeConfig of the cluster under test, loaded once per spec file. */
export function e2eKubeConfig(): KubeConfig {
  if (!kubeConfig) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(inject('kubeconfigPath'));
  }
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
  const base = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'e2e';
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
export function customObjects(kc: KubeConfig = e2eKubeConfig()) {
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
