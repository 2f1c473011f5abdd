// A watch-fed cache of CloudNativePG objects shared by every session of the process, so the
// API request count does not grow with the number of clients. Each kind starts watching on
// its first read; until its initial list has arrived, and whenever no watch request is open
// (reconnecting, relisting, broken), reads go to the API. Read-your-writes: after this process
// writes an object, reads of that kind in that namespace go to the API until the watch has
// delivered the write (or a short grace period passes), so a tool never sees its own change
// missing.
import { CustomObjectsApi, type KubeConfig, ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { cacheReads, kubeApiRequests } from '../metrics.js';
import { CNPG_GROUP, CNPG_KINDS, CNPG_VERSION, type CnpgKind } from './kinds.js';
import type { CnpgObject } from './types.js';

/** How long a write of ours keeps reads of its namespace on the API if its event never arrives. */
const WRITE_GRACE_MS = 3000;

/**
 * Longest pause between the end of a watch and the next one (client-node doubles it on every
 * reconnect up to 30 s, and never lowers it again), and between attempts after a failed list: the
 * feed is back promptly once the API is (issue #12, item 13). Reads go to the API meanwhile.
 */
const MAX_RECONNECT_MS = 2000;

interface Feed {
  watch: ListWatch<KubernetesObject>;
  synced: boolean;
  /**
   * A watch request is open: events arrive as they happen. False while the watch reconnects,
   * waits to, or lists again (after an API server or etcd restart): the objects held may be
   * missing what changed meanwhile, so reads go to the API (issue #12, item 13).
   */
  live: boolean;
  /** The first list has arrived: later events are changes, not the baseline. */
  listed: boolean;
  /**
   * When the API server last confirmed what the feed holds (a list arrived, or an open watch
   * ended), for answers from the last known state while it cannot be reached (lastKnown*).
   */
  confirmedAt: number;
}

/** What the feed held when the API server last confirmed it, and when that was (ms since the epoch). */
export interface LastKnown<T> {
  value: T;
  confirmedAt: number;
}

/**
 * A change the watch delivered. `baseline` marks objects that were there before: a feed's first
 * list, or the objects an already-synced feed holds when the listener registers. Listeners
 * (src/mcp/subscriptions.ts) use it to learn the state without calling it a change.
 */
export type CacheListener = (type: 'add' | 'update' | 'delete', obj: CnpgObject, baseline: boolean) => void;

interface PendingWrite {
  resourceVersion?: string;
  until: number;
}

export class WatchCache {
  private readonly feeds = new Map<string, Feed>();
  /** kind/namespace → writes of ours the watch has not delivered yet. */
  private readonly pending = new Map<string, Map<string, PendingWrite>>();
  private readonly custom: CustomObjectsApi;
  private readonly listeners = new Map<CnpgKind, Set<CacheListener>>();
  private stopped = false;

  /** `scopes` undefined = one cluster-wide watch per kind; otherwise one per namespace. */
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly scopes: readonly string[] | undefined,
    private readonly logger: Logger,
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** The cached object, null when the cache knows it does not exist, undefined when it cannot answer. */
  get<T extends CnpgObject>(kind: CnpgKind, namespace: string, name: string): T | null | undefined {
    const feed = this.readyFeed(kind, namespace);
    if (!feed || this.hasPending(kind, namespace)) return this.miss(kind);
    cacheReads.inc({ kind, result: 'hit' });
    return (feed.watch.get(name, namespace) as T | undefined) ?? null;
  }

  /** Cached objects of one namespace (or all, for a cluster-wide feed), or undefined on a miss. */
  list<T extends CnpgObject>(kind: CnpgKind, namespace: string | undefined): T[] | undefined {
    if (namespace === undefined) {
      if (this.scopes) return this.miss(kind); // all-namespace reads with an allowlist go through the client
      const feed = this.readyFeed(kind, undefined);
      if (!feed || this.pending.size) return this.miss(kind);
      cacheReads.inc({ kind, result: 'hit' });
      return [...feed.watch.list()] as unknown as T[];
    }
    const feed = this.readyFeed(kind, namespace);
    if (!feed || this.hasPending(kind, namespace)) return this.miss(kind);
    cacheReads.inc({ kind, result: 'hit' });
    return [...feed.watch.list(namespace)] as unknown as T[];
  }

  /**
   * The last known object, whatever the feed's state: only for when the API server cannot be
   * reached (CnpgClient falls back to it for read-only calls, saying how old it is). Undefined
   * when the feed never listed, a write of ours is not in it yet, or the object was not there.
   */
  lastKnownObject<T extends CnpgObject>(kind: CnpgKind, namespace: string, name: string): LastKnown<T> | undefined {
    const feed = this.listedFeed(kind, namespace);
    const obj = feed?.watch.get(name, namespace) as T | undefined;
    return feed && obj ? { value: obj, confirmedAt: confirmedAt(feed) } : undefined;
  }

  /** The last known objects of a namespace (as lastKnownObject); undefined when the feed never listed. */
  lastKnownList<T extends CnpgObject>(kind: CnpgKind, namespace: string | undefined): LastKnown<T[]> | undefined {
    if (namespace === undefined && this.scopes) return undefined;
    const feed = this.listedFeed(kind, namespace);
    if (!feed || (namespace === undefined && this.pending.size)) return undefined;
    return { value: [...feed.watch.list(namespace)] as unknown as T[], confirmedAt: confirmedAt(feed) };
  }

  private listedFeed(kind: CnpgKind, namespace: string | undefined): Feed | undefined {
    if (this.stopped || (namespace !== undefined && this.hasPending(kind, namespace))) return undefined;
    const feed = this.feeds.get(`${kind}/${this.scopes ? namespace : '*'}`);
    return feed?.listed ? feed : undefined;
  }

  /** Records a write of ours (create/patch returning the object, or a delete) for read-your-writes. */
  noteWrite(kind: CnpgKind, namespace: string, name: string, resourceVersion?: string): void {
    const key = `${kind}/${namespace}`;
    const writes = this.pending.get(key) ?? new Map<string, PendingWrite>();
    writes.set(name, { resourceVersion, until: Date.now() + WRITE_GRACE_MS });
    this.pending.set(key, writes);
  }

  /**
   * Calls `listener` for every change of `kind` in the watched scopes (starting their feeds),
   * first with the objects already held as a baseline. Returns the unregister function.
   */
  listen(kind: CnpgKind, listener: CacheListener): () => void {
    const set = this.listeners.get(kind) ?? new Set<CacheListener>();
    this.listeners.set(kind, set);
    set.add(listener);
    for (const scope of this.scopes ?? [undefined]) {
      this.readyFeed(kind, scope); // starts the feed if need be
      // Whatever the feed holds, synced or not: its first list may have been delivered already
      // (before its watch connected), and those objects are this listener's baseline too.
      const feed = this.feeds.get(`${kind}/${scope ?? '*'}`);
      for (const obj of feed?.watch.list(scope) ?? []) listener('add', obj as CnpgObject, true);
    }
    return () => set.delete(listener);
  }

  /** Registered listeners of a kind: specs check that closed sessions leave none behind. */
  listenerCount(kind: CnpgKind): number {
    return this.listeners.get(kind)?.size ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.feeds.values()].map((f) => f.watch.stop()));
    this.feeds.clear();
  }

  private miss(kind: CnpgKind): undefined {
    cacheReads.inc({ kind, result: 'miss' });
    return undefined;
  }

  private hasPending(kind: CnpgKind, namespace: string): boolean {
    const writes = this.pending.get(`${kind}/${namespace}`);
    if (!writes) return false;
    const now = Date.now();
    for (const [name, w] of writes) if (w.until < now) writes.delete(name);
    if (!writes.size) this.pending.delete(`${kind}/${namespace}`);
    return writes.size > 0;
  }

  /** The synced feed that covers this namespace, starting it on first use. */
  private readyFeed(kind: CnpgKind, namespace: string | undefined): Feed | undefined {
    if (this.stopped) return undefined;
    const scope = this.scopes ? namespace : '*';
    if (scope === undefined || (this.scopes && !this.scopes.includes(scope))) return undefined;
    const key = `${kind}/${scope}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = this.startFeed(kind, scope === '*' ? undefined : scope);
      this.feeds.set(key, feed);
    }
    return feed.synced && feed.live ? feed : undefined;
  }

  private startFeed(kind: CnpgKind, namespace: string | undefined): Feed {
    const plural = CNPG_KINDS[kind].plural;
    const base = `/apis/${CNPG_GROUP}/${CNPG_VERSION}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
    const ref = { group: CNPG_GROUP, version: CNPG_VERSION, plural };
    const listFn = async () => {
      kubeApiRequests.inc({ verb: 'list' });
      const result = namespace ? await this.custom.listNamespacedCustomObject({ ...ref, namespace }) : await this.custom.listClusterCustomObject(ref);
      return result as { items: KubernetesObject[]; metadata: { resourceVersion?: string } };
    };
    const watcher = new Watch(this.kubeConfig);
    const watch = new ListWatch<KubernetesObject>(path, watcher, listFn as never, false, undefined, undefined, {
      delayFn: (ms: number) => delay(Math.min(ms, MAX_RECONNECT_MS)),
    });
    const feed: Feed = { watch, synced: false, live: false, listed: false, confirmedAt: 0 };
    this.observeLiveness(watcher, feed);
    const settle = (obj: KubernetesObject) => this.settle(kind, obj);
    const tell = (type: 'add' | 'update' | 'delete') => (obj: KubernetesObject) => {
      settle(obj);
      for (const l of this.listeners.get(kind) ?? []) l(type, obj as CnpgObject, !feed.listed);
    };
    watch.on('add', tell('add'));
    watch.on('update', tell('update'));
    watch.on('delete', tell('delete'));
    // 'connect' fires before the initial list, so it only counts requests. A failed list is
    // reported through 'error' and start() still resolves, so the feed is synced only when
    // start() resolves with no error reported during that attempt.
    watch.on('connect', () => kubeApiRequests.inc({ verb: 'watch' }));
    let attempt = 0;
    let failures = 0;
    let failedAttempt = -1;
    let retryTimer: NodeJS.Timeout | undefined;
    const start = () => {
      const mine = ++attempt;
      watch.start().then(
        () => {
          if (failedAttempt !== mine && !this.stopped) {
            feed.synced = feed.listed = true;
            feed.confirmedAt = Date.now();
            failures = 0;
          }
        },
        (err) => onError(err),
      );
    };
    const onError = (err: unknown) => {
      // The ListWatch does not restart after an error: reads go to the API meanwhile, and
      // the feed lists again after a capped backoff.
      feed.synced = false;
      failedAttempt = attempt;
      failures++;
      if (this.stopped || retryTimer) return;
      this.logger.debug({ kind, namespace, err: String((err as Error)?.message ?? err) }, 'watch interrupted; reading from the API meanwhile');
      retryTimer = setTimeout(
        () => {
          retryTimer = undefined;
          start();
        },
        Math.min(MAX_RECONNECT_MS, 250 * 2 ** Math.min(failures, 6)),
      );
      retryTimer.unref();
    };
    watch.on('error', onError);
    start();
    return feed;
  }

  /**
   * Marks `feed` live exactly while one of the watch requests ListWatch makes through `watcher`
   * is open: from its 200 until its end (a server close, an error, a timeout). Watch.watch()
   * resolves once the response is there, or after it already ended in failure.
   */
  private observeLiveness(watcher: Watch, feed: Feed): void {
    const open = watcher.watch.bind(watcher);
    watcher.watch = async (path, params, callback, done) => {
      feed.live = false;
      let ended = false;
      const request = await open(path, params, callback, (err) => {
        ended = true;
        // Up to here the watch delivered every change: what the feed holds was current.
        if (feed.live) feed.confirmedAt = Date.now();
        feed.live = false;
        done(err);
      });
      if (!ended && !this.stopped) feed.live = true;
      return request;
    };
  }

  /** The watch delivered an object: a pending write of ours with that version (or any later event) is settled. */
  private settle(kind: CnpgKind, obj: KubernetesObject): void {
    const ns = obj.metadata?.namespace;
    const name = obj.metadata?.name;
    if (!ns || !name) return;
    const writes = this.pending.get(`${kind}/${ns}`);
    const w = writes?.get(name);
    if (!w) return;
    if (!w.resourceVersion || w.resourceVersion === obj.metadata?.resourceVersion) writes!.delete(name);
  }
}

/** While a watch is open, what the feed holds is current: confirmed now. */
function confirmedAt(feed: Feed): number {
  return feed.live ? Date.now() : feed.confirmedAt;
}
