// resources/subscribe on cnpg://<namespace>/<name>, fed by the shared watch cache (issue #15).
// One hub per deps (process, or impersonated principal: those have no cache, so no hub) holds
// one cache listener while any session takes part, and detaches when the last one leaves.
// A session takes part once it has listed resources or subscribed to one: from then on it is
// told of clusters appearing or going (list_changed), and of the phase, primary or ready
// instances of the clusters it subscribed to changing (updated). Status heartbeats that change
// none of the three say nothing. A session-less (2026-07-28) `subscriptions/listen` stream takes
// part as a listener for its lifetime (transports/listen-bus.ts): told of every allowed cluster,
// the SDK's listen router keeps what the stream asked for.
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CacheListener } from '../cnpg/cache.js';
import type { Cluster, CnpgObject } from '../cnpg/types.js';
import type { ServerDeps } from '../kit/deps.js';
import { ToolError } from '../kit/tool-error.js';
import { clusterUri, parseClusterUri } from './resources.js';

/** Bounds one session's memory: a client watching more clusters than this should list them. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 200;

/** The resource the conformance scenarios subscribe to (ServerDeps.conformanceFixtures, tests only). */
const CONFORMANCE_RESOURCE = 'test://watched-resource';

/** What a session's server needs from its session to be told of changes. */
export interface SubscriberSession {
  sendResourceUpdated(params: { uri: string }): Promise<void>;
  sendResourceListChanged(): Promise<void>;
}

/** The part of a Cluster whose change a subscriber is told of. */
function digestOf(obj: CnpgObject): string {
  const status = (obj as Cluster).status;
  return JSON.stringify([status?.phase, status?.currentPrimary, status?.readyInstances]);
}

class Participant {
  readonly uris = new Set<string>();
  /** everyUri: a listen stream, whose own filter picks the URIs (the SDK's). */
  constructor(
    readonly session: SubscriberSession,
    readonly everyUri = false,
  ) {}
}

export class ClusterSubscriptions {
  private readonly participants = new Set<Participant>();
  private readonly bySession = new Map<SubscriberSession, Participant>();
  /** uri → digest of every cluster the cache holds, while attached. */
  private readonly digests = new Map<string, string>();
  private detach?: () => void;

  /** Holds the deps, not their parts: stdio's deferred deps have namespaces only once loaded. */
  constructor(private readonly deps: ServerDeps) {}

  /** Sessions taking part: a spec checks that closing sessions brings it back to 0. */
  get sessionCount(): number {
    return this.participants.size;
  }

  get attached(): boolean {
    return this.detach !== undefined;
  }

  /** The session listed resources: it is told of clusters appearing or going from now on. */
  join(session: SubscriberSession): void {
    this.participantOf(session);
  }

  /** A listen stream: told of clusters appearing or going, and of every change in any allowed namespace. */
  listen(session: SubscriberSession): void {
    this.participantOf(session, true);
  }

  /** A URI one may subscribe to (a cluster in an allowed namespace), or a clear InvalidParams error. */
  check(uri: string): void {
    if (!this.isFixture(uri)) checkedUri(uri, this.deps.namespaces);
  }

  subscribe(session: SubscriberSession, uri: string): void {
    this.check(uri);
    const p = this.participantOf(session);
    if (!p.uris.has(uri) && p.uris.size >= MAX_SUBSCRIPTIONS_PER_SESSION) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `this session already has ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions: unsubscribe from one first; ${uri} was not added`,
      );
    }
    p.uris.add(uri);
  }

  unsubscribe(session: SubscriberSession, uri: string): void {
    if (!this.isFixture(uri)) checkedUri(uri, this.deps.namespaces);
    this.bySession.get(session)?.uris.delete(uri);
  }

  /** The session closed: every subscription of it goes, and the cache listener with the last one. */
  leave(session: SubscriberSession): void {
    const p = this.bySession.get(session);
    if (!p) return;
    this.bySession.delete(session);
    this.participants.delete(p);
    if (!this.participants.size) {
      this.detach?.();
      this.detach = undefined;
      this.digests.clear();
    }
  }

  private isFixture(uri: string): boolean {
    return this.deps.conformanceFixtures === true && uri === CONFORMANCE_RESOURCE;
  }

  private participantOf(session: SubscriberSession, everyUri = false): Participant {
    let p = this.bySession.get(session);
    if (!p) {
      p = new Participant(session, everyUri);
      this.bySession.set(session, p);
      this.participants.add(p);
      // Attached after the participant is in: the baseline replay then finds it, and says nothing.
      this.detach ??= this.deps.clusterChanges!(this.onChange);
    }
    return p;
  }

  private readonly onChange: CacheListener = (type, obj, baseline) => {
    const namespace = obj.metadata?.namespace;
    const name = obj.metadata?.name;
    if (!namespace || !name || !this.allowed(namespace)) return;
    const uri = clusterUri(namespace, name);
    const before = this.digests.get(uri);
    const after = type === 'delete' ? undefined : digestOf(obj);
    if (after === undefined) this.digests.delete(uri);
    else this.digests.set(uri, after);
    if (baseline) return;
    // An add of a cluster already known is a re-list after a broken watch, not an appearance.
    const appearedOrWent = type === 'delete' || (type === 'add' && before === undefined);
    if (!appearedOrWent && before === after) return;
    for (const p of this.participants) {
      if (appearedOrWent) p.session.sendResourceListChanged().catch(() => undefined);
      if (p.everyUri || p.uris.has(uri)) p.session.sendResourceUpdated({ uri }).catch(() => undefined);
    }
  };

  private allowed(namespace: string): boolean {
    const scope = this.deps.namespaces.listScope();
    return scope === undefined || scope.includes(namespace);
  }
}

/** A subscription URI: a cluster resource in an allowed namespace, or a clear InvalidParams error. */
function checkedUri(uri: string, namespaces: ServerDeps['namespaces']): { namespace: string; name: string } {
  const target = parseClusterUri(uri);
  try {
    namespaces.check(target.namespace);
  } catch (err) {
    const why = err instanceof ToolError ? `${err.message}. ${err.hint ?? ''}`.trim() : 'namespace not allowed';
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `cannot subscribe to ${uri}: ${why}`);
  }
  return target;
}

/**
 * The hub of these deps, or why there is none: subscriptions need the shared watch cache, which
 * --watch-cache off and --impersonate (each principal reads under its own identity) turn off.
 */
export function subscriptionsFor(deps: ServerDeps, hubs: WeakMap<ServerDeps, ClusterSubscriptions>): ClusterSubscriptions | undefined {
  if (!deps.clusterChanges) return undefined;
  let hub = hubs.get(deps);
  if (!hub) {
    hub = new ClusterSubscriptions(deps);
    hubs.set(deps, hub);
  }
  return hub;
}

export const NO_SUBSCRIPTIONS =
  'resource subscriptions are not available on this server: they are fed by the shared watch cache, which is off ' +
  '(--watch-cache off, or --impersonate, where every read is made as the caller). Read the resource again instead.';
