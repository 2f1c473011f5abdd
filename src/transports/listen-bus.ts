// The 2026-07-28 session-less `subscriptions/listen` streams, fed from the shared watch cache
// (issue #15) as sessions are (mcp/subscriptions.ts). The SDK's listen router owns the wire: the
// acknowledgement, the per-stream filter (resourceSubscriptions, resourcesListChanged), the
// subscription id on every notification, keepalives and teardown. It takes its events from a
// ServerEventBus, and this is that bus: each open stream's listener joins the cache hub for as
// long as the stream is open (the router unsubscribes it when the request ends or the client
// goes), so the hub's cache listener is attached exactly while some stream or session listens.
// The hub tells only of clusters in allowed namespaces; a listen naming a URI outside them is
// refused before the SDK sees it (listenRefusal), as resources/subscribe is.
import { InMemoryServerEventBus, ProtocolError, type ServerEventBus } from '@modelcontextprotocol/server';
import type { ClusterSubscriptions, SubscriberSession } from '../mcp/subscriptions.js';

type Listener = Parameters<ServerEventBus['subscribe']>[0];

export class CacheEventBus implements ServerEventBus {
  // What is published directly (the handler's `notify` facade) still reaches every stream.
  private readonly direct = new InMemoryServerEventBus();

  /** `hub`: undefined without the shared watch cache (then the capability is not advertised, and no stream subscribes). */
  constructor(private readonly hub: () => ClusterSubscriptions | undefined) {}

  publish(event: Parameters<ServerEventBus['publish']>[0]): void {
    this.direct.publish(event);
  }

  subscribe(listener: Listener): () => void {
    const off = this.direct.subscribe(listener);
    const hub = this.hub();
    const stream: SubscriberSession = {
      sendResourceUpdated: async ({ uri }) => listener({ kind: 'resource_updated', uri }),
      sendResourceListChanged: async () => listener({ kind: 'resources_list_changed' }),
    };
    hub?.listen(stream);
    return () => {
      off();
      hub?.leave(stream);
    };
  }
}

/**
 * Why a `subscriptions/listen` body must be refused (a resource URI that is not a cluster in an
 * allowed namespace), or undefined. The SDK would acknowledge any URI it is given.
 */
export function listenRefusal(body: unknown, hub: ClusterSubscriptions | undefined): string | undefined {
  const uris = (body as { params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined)?.params?.notifications?.resourceSubscriptions;
  if (!hub || !Array.isArray(uris)) return undefined;
  for (const uri of uris) {
    if (typeof uri !== 'string') continue; // the SDK's schema check answers that one
    try {
      hub.check(uri);
    } catch (err) {
      if (err instanceof ProtocolError) return `${err.message}. Nothing is listened to.`;
      throw err;
    }
  }
  return undefined;
}
