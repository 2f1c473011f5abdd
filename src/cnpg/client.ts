// The typed CloudNativePG API over @kubernetes/client-node. Tools call this, never the
// Kubernetes client directly. Writes are narrow merge patches (docs/cnpg-facts.md): a
// whole-object write collides with the operator's own updates.
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  Log,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type V1Job,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { kubeApiRequests } from '../metrics.js';
import type { LastKnown, WatchCache } from './cache.js';
import { type CONFLICT_RETRY, retryOnConflict } from './conflicts.js';
import { kube, KubeError, networkAdvice } from './errors.js';
import { execInPod, type ExecOptions, type ExecResult } from './exec.js';
import { lastKnownAllowed, noteLastKnown } from './last-known.js';
import { API_VERSION, CNPG_GROUP, CNPG_KINDS, CNPG_VERSION, type CnpgKind } from './kinds.js';
import type { CnpgObject } from './types.js';
import { waitForObject, type WaitOptions, type WaitOutcome } from './wait.js';

export interface WriteOptions {
  /** Server-side dry run: the API server validates and defaults, nothing is stored. */
  dryRun?: boolean;
}

export interface ModifyOptions extends WriteOptions {
  /** The status subresource instead of the object (a switchover request). */
  target?: 'object' | 'status';
  /** Cancelling the request stops the retries. */
  signal?: AbortSignal;
  /** Deadline and backoff of the 409 retries (src/cnpg/conflicts.ts). */
  policy?: typeof CONFLICT_RETRY;
}

/** What modify() wrote (the merge patch, resourceVersion included) and the object the API answered. */
export interface Modified<T> {
  patch: Record<string, unknown>;
  result: T;
}

const FIELD_MANAGER = 'cnpg-mcp';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const dryRunParam = (o?: WriteOptions) => (o?.dryRun ? { dryRun: 'All' } : {});

/**
 * A 404 names the namespace it was looked for in: the API server's message does not, and with
 * --namespaces the one a tool defaulted to is not obvious (issue #12, "Small").
 */
function inNamespace(err: unknown, namespace: string): unknown {
  if (!(err instanceof KubeError) || err.kind !== 'not_found') return err;
  return new KubeError(err.kind, `${err.message} in namespace ${namespace}`, err.status, err.causes);
}

export class CnpgClient {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;

  /** With a cache, reads of CNPG objects are served from it once its watch has synced. */
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly cache?: WatchCache,
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  /** Every Kubernetes call goes through here: counted by verb, errors classified. */
  private api<T>(verb: string, call: () => Promise<T>): Promise<T> {
    kubeApiRequests.inc({ verb });
    return kube(call).catch((err) => {
      throw this.located(err);
    });
  }

  /**
   * An unreachable API server is named with its address and kubeconfig context, and what to
   * check (issue #12, item 14). Tool answers go to whoever runs the server; /readyz stays generic.
   */
  private located(err: unknown): unknown {
    if (!(err instanceof KubeError) || err.kind !== 'unreachable' || !err.networkReason) return err;
    const server = this.kubeConfig.getCurrentCluster()?.server ?? 'the configured server';
    const context = this.kubeConfig.getCurrentContext();
    return new KubeError(
      'unreachable',
      `the Kubernetes API server at ${server} (kubeconfig context "${context}") did not answer: ${err.message}; ${networkAdvice(err.networkReason)}`,
      undefined,
      [],
      err.networkReason,
    );
  }

  /**
   * For a read-only call whose API request found the server unreachable: the cache's last known
   * answer, noted as stale for the call's result (last-known.ts); undefined when there is none.
   */
  private lastKnown<T>(err: unknown, known: () => LastKnown<T> | undefined): T | undefined {
    if (!(err instanceof KubeError) || err.kind !== 'unreachable' || !this.cache || !lastKnownAllowed()) return undefined;
    const last = known();
    if (!last) return undefined;
    const server = this.kubeConfig.getCurrentCluster()?.server ?? 'the configured server';
    noteLastKnown({ confirmedAt: last.confirmedAt, reason: `${server}: ${err.networkReason ?? err.message}` });
    return last.value;
  }

  /** Tells the cache about a write of ours so the next read sees it (read-your-writes). */
  private noted<T extends CnpgObject>(kind: CnpgKind, namespace: string, name: string, obj: T | undefined, options?: WriteOptions): T | undefined {
    if (!options?.dryRun) this.cache?.noteWrite(kind, namespace, name, obj?.metadata?.resourceVersion);
    return obj;
  }

  private ref(kind: CnpgKind) {
    return { group: CNPG_GROUP, version: CNPG_VERSION, plural: CNPG_KINDS[kind].plural };
  }

  /** `fresh` skips the cache: for read-modify-write, which must start from the latest version. */
  async get<T extends CnpgObject = CnpgObject>(kind: CnpgKind, namespace: string, name: string, options?: { fresh?: boolean }): Promise<T> {
    const cached = options?.fresh ? undefined : this.cache?.get<T>(kind, namespace, name);
    if (cached) return cached;
    if (cached === null) throw inNamespace(new KubeError('not_found', `${CNPG_KINDS[kind].plural}.${CNPG_GROUP} "${name}" not found`, 404), namespace);
    return (this.api('get', () => this.custom.getNamespacedCustomObject({ ...this.ref(kind), namespace, name })) as Promise<T>).catch((err) => {
      const last = options?.fresh ? undefined : this.lastKnown(err, () => this.cache!.lastKnownObject<T>(kind, namespace, name));
      if (last) return last;
      throw inNamespace(err, namespace);
    });
  }

  /** Lists one namespace, or every namespace when `namespace` is undefined. */
  async list<T extends CnpgObject = CnpgObject>(kind: CnpgKind, namespace: string | undefined, labelSelector?: string): Promise<T[]> {
    const cached = labelSelector ? undefined : this.cache?.list<T>(kind, namespace);
    if (cached) return cached;
    const result = (await this.api('list', () =>
      namespace === undefined
        ? this.custom.listClusterCustomObject({ ...this.ref(kind), labelSelector })
        : this.custom.listNamespacedCustomObject({ ...this.ref(kind), namespace, labelSelector }),
    ).catch((err) => {
      const last = labelSelector ? undefined : this.lastKnown(err, () => this.cache!.lastKnownList<T>(kind, namespace));
      if (last) return { items: last };
      throw err;
    })) as { items?: T[] };
    return result.items ?? [];
  }

  async create<T extends CnpgObject = CnpgObject>(
    kind: CnpgKind,
    namespace: string,
    body: Omit<CnpgObject, 'apiVersion' | 'kind'> & Partial<CnpgObject>,
    options?: WriteOptions,
  ): Promise<T> {
    const full = { apiVersion: API_VERSION, kind: CNPG_KINDS[kind].kind, ...body };
    const created = (await this.api('create', () =>
      this.custom.createNamespacedCustomObject({
        ...this.ref(kind),
        namespace,
        body: full,
        fieldManager: FIELD_MANAGER,
        ...dryRunParam(options),
      }),
    )) as T;
    return this.noted(kind, namespace, body.metadata.name, created, options)!;
  }

  /**
   * The one read-modify-write: reads the object fresh (never from the cache), asks `mutate` for
   * a merge patch from what it read (it may throw to refuse), writes it conditioned on the
   * resourceVersion read, and on 409 does it all again, with exponential backoff and full jitter,
   * until the deadline. A concurrent edit is never lost, and a check in `mutate` always ran on
   * the version the write replaces.
   */
  async modify<T extends CnpgObject = CnpgObject>(
    kind: CnpgKind,
    namespace: string,
    name: string,
    mutate: (current: T) => Record<string, unknown> | Promise<Record<string, unknown>>,
    options: ModifyOptions = {},
  ): Promise<Modified<T>> {
    const { target = 'object', signal, policy, ...write } = options;
    return retryOnConflict(
      async () => {
        const current = await this.get<T>(kind, namespace, name, { fresh: true });
        const { metadata, ...rest } = await mutate(current);
        const patch = { metadata: { resourceVersion: current.metadata.resourceVersion, ...(metadata as Record<string, unknown> | undefined) }, ...rest };
        return { patch, result: await this.mergePatch<T>(target, kind, namespace, name, patch, write) };
      },
      signal,
      policy,
    );
  }

  /** JSON merge patch of the main resource. For a read-modify-write use modify(). */
  async patch<T extends CnpgObject = CnpgObject>(
    kind: CnpgKind,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<T> {
    return this.mergePatch<T>('object', kind, namespace, name, patch, options);
  }

  /** JSON merge patch of the status subresource (how `kubectl cnpg promote` requests a switchover). */
  async patchStatus<T extends CnpgObject = CnpgObject>(
    kind: CnpgKind,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<T> {
    return this.mergePatch<T>('status', kind, namespace, name, patch, options);
  }

  private async mergePatch<T extends CnpgObject>(
    target: 'object' | 'status',
    kind: CnpgKind,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<T> {
    const request = { ...this.ref(kind), namespace, name, body: patch, fieldManager: FIELD_MANAGER, ...dryRunParam(options) };
    const patched = (await this.api('patch', () =>
      target === 'status' ? this.custom.patchNamespacedCustomObjectStatus(request, mergePatch) : this.custom.patchNamespacedCustomObject(request, mergePatch),
    ).catch((err) => {
      throw inNamespace(err, namespace);
    })) as T;
    return this.noted(kind, namespace, name, patched, options)!;
  }

  async delete(kind: CnpgKind, namespace: string, name: string, options?: WriteOptions): Promise<void> {
    await this.api('delete', () => this.custom.deleteNamespacedCustomObject({ ...this.ref(kind), namespace, name, ...dryRunParam(options) })).catch((err) => {
      throw inNamespace(err, namespace);
    });
    this.noted(kind, namespace, name, undefined, options);
  }

  /**
   * Watches one object until `until` returns a value, the signal aborts, or the deadline passes
   * (src/cnpg/wait.ts). Reaching the deadline is an outcome ({ done: false }), not an error.
   */
  waitFor<T extends CnpgObject, R>(
    kind: CnpgKind,
    namespace: string,
    name: string,
    until: (obj: T) => R | undefined,
    opts: WaitOptions<T>,
  ): Promise<WaitOutcome<T, R>> {
    const path = `/apis/${CNPG_GROUP}/${CNPG_VERSION}/namespaces/${namespace}/${CNPG_KINDS[kind].plural}`;
    return waitForObject(this.kubeConfig, path, name, () => this.get<T>(kind, namespace, name, { fresh: true }), until, opts);
  }

  // --- core objects the tools need ---------------------------------------------------

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.api('list', () => this.core.listNamespacedPod({ namespace, labelSelector }))).items;
  }

  async deletePod(namespace: string, name: string, options?: WriteOptions): Promise<void> {
    await this.api('delete', () => this.core.deleteNamespacedPod({ namespace, name, ...dryRunParam(options) }));
  }

  async listPvcs(namespace: string, labelSelector: string): Promise<V1PersistentVolumeClaim[]> {
    return (await this.api('list', () => this.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }))).items;
  }

  async deletePvc(namespace: string, name: string, options?: WriteOptions): Promise<void> {
    await this.api('delete', () => this.core.deleteNamespacedPersistentVolumeClaim({ namespace, name, ...dryRunParam(options) }));
  }

  async listJobs(namespace: string, labelSelector: string): Promise<V1Job[]> {
    return (await this.api('list', () => this.batch.listNamespacedJob({ namespace, labelSelector }))).items;
  }

  /** Background propagation, as kubectl cnpg destroy deletes an instance's jobs: their pods go too. */
  async deleteJob(namespace: string, name: string, options?: WriteOptions): Promise<void> {
    await this.api('delete', () => this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background', ...dryRunParam(options) }));
  }

  /**
   * One container's log, not followed, through client-node's streaming Log reader: the generated
   * pods/log read throws on the empty 204 the API server answers for a container that has not
   * started. The reader's (deprecated) done callback is never called in client-node 2, so the
   * read ends when the piped body has been written out (waiting on the callback hung
   * get_cluster_logs on every real cluster, issue #11).
   */
  async podLog(namespace: string, name: string, opts: { container: string; tailLines?: number; sinceSeconds?: number; limitBytes?: number }): Promise<string> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const { container, ...options } = opts;
    try {
      await this.api('get', async () => {
        await new Log(this.kubeConfig).log(namespace, name, container, sink, { ...options, follow: false });
        await finished(sink);
      });
    } catch (err) {
      // 204 No Content: the container has not written anything yet (or not started).
      if (err instanceof KubeError && err.status === 204) return '';
      throw err;
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Runs a command in a container (pods/exec), output capped (src/cnpg/exec.ts). */
  async exec(namespace: string, pod: string, container: string, command: string[], options: ExecOptions): Promise<ExecResult> {
    return this.api('exec', () => execInPod(this.kubeConfig, namespace, pod, container, command, options));
  }

  /**
   * GET through the API server's pods proxy (`pods/proxy`), as `kubectl cnpg status` reads each
   * instance manager's /pg/status: `scheme:pod:port` names the target (ProxyGet in client-go).
   */
  async podProxyGet(namespace: string, pod: string, scheme: 'http' | 'https', port: number, path: string): Promise<string> {
    return this.api('get', () => this.core.connectGetNamespacedPodProxyWithPath({ namespace, name: `${scheme}:${pod}:${port}`, path }));
  }

  async listEvents(namespace: string, fieldSelector?: string): Promise<CoreV1Event[]> {
    return (await this.api('list', () => this.core.listNamespacedEvent({ namespace, fieldSelector }))).items;
  }

  async getSecret(namespace: string, name: string): Promise<V1Secret> {
    return this.api('get', () => this.core.readNamespacedSecret({ namespace, name }));
  }

  async createSecret(namespace: string, body: V1Secret, options?: WriteOptions): Promise<V1Secret> {
    return this.api('create', () => this.core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER, ...dryRunParam(options) }));
  }

  async patchSecret(namespace: string, name: string, patch: Record<string, unknown>, options?: WriteOptions): Promise<V1Secret> {
    return this.api('patch', () =>
      this.core.patchNamespacedSecret({ namespace, name, body: patch, fieldManager: FIELD_MANAGER, ...dryRunParam(options) }, mergePatch),
    );
  }

  async deleteSecret(namespace: string, name: string, options?: WriteOptions): Promise<void> {
    await this.api('delete', () => this.core.deleteNamespacedSecret({ namespace, name, ...dryRunParam(options) }));
  }

  /** Cheap reachability probe: the API server's version endpoint. */
  async ping(): Promise<void> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeError('not_configured', 'no Kubernetes cluster is configured');
    await this.api('get', () => this.custom.getAPIResources({ group: CNPG_GROUP, version: CNPG_VERSION }));
  }
}
