import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServerDeps } from '../src/kit/deps.js';
import { subscriptionsOf } from '../src/mcp/server.js';
import { startServer, stopAllServers } from '../test-support/http-server.js';
import { connectInMemory, testDeps } from '../test-support/in-memory.js';
import { startStdioServer } from '../test-support/stdio-session.js';
import { waitFor } from '../test-support/wait.js';
import { useTestNamespace } from './helpers/cluster.js';
import { statusOnlyClusters } from './helpers/status-only-clusters.js';

const namespace = useTestNamespace('live');
const { create: createCluster, patchStatus, remove: deleteCluster } = statusOnlyClusters(namespace);

interface Connected {
  client: Client;
  close(): Promise<void>;
  /** Ends the session the way its client does: DELETE on Streamable HTTP, closing the stream or pipe otherwise. */
  endSession(): Promise<void>;
  /** In-process servers: the hub, to check that a closed session leaves nothing behind. */
  deps?: ServerDeps;
}

type Transport = 'in-memory' | 'streamable' | 'legacy-sse' | 'stdio';

function serverDeps(): ServerDeps {
  return testDeps(['--namespaces', namespace()], { KUBECONFIG: inject('kubeconfigPath') });
}

async function connect(transport: Transport): Promise<Connected> {
  if (transport === 'stdio') {
    const session = await startStdioServer(inject('kubeconfigPath'), ['--namespaces', namespace()]);
    return { client: session.client, close: () => session.close(), endSession: () => session.close() };
  }
  const deps = serverDeps();
  if (transport === 'in-memory') {
    const { client, close } = await connectInMemory(deps);
    const closeAll = async () => {
      await close();
      await deps.close?.();
    };
    return { client, deps, close: closeAll, endSession: () => client.close() };
  }
  const server = await startServer(deps);
  const client = new Client({ name: 'e2e-live', version: '1.0.0' });
  const url = new URL(transport === 'streamable' ? '/mcp' : '/sse', server.url);
  const clientTransport = transport === 'streamable' ? new StreamableHTTPClientTransport(url) : new SSEClientTransport(url);
  await client.connect(clientTransport);
  const endSession = async () => {
    if (clientTransport instanceof StreamableHTTPClientTransport) await clientTransport.terminateSession();
    await client.close();
  };
  const closeAll = async () => {
    await client.close();
    await server.shutdown(AbortSignal.abort());
    await deps.close?.();
  };
  return { client, deps, close: closeAll, endSession };
}

afterAll(stopAllServers);

describe.each<Transport>(['in-memory', 'streamable', 'legacy-sse', 'stdio'])('resource subscriptions over %s', (transport) => {
  let conn: Connected;
  const updated: string[] = [];
  let listChanged = 0;
  const cluster = `sub-${transport.replace(/[^a-z]/g, '')}`;
  const uri = () => `cnpg://${namespace()}/${cluster}`;

  /** The server's cache has delivered the change when its resources/read shows it (no fixed sleep). */
  const readShows = (needle: string) =>
    waitFor(
      async () => {
        const read = await conn.client.readResource({ uri: uri() });
        return (read.contents[0] as { text: string }).text.includes(needle);
      },
      { timeoutMs: 20_000, what: `${uri()} to show ${needle}` },
    );

  beforeAll(async () => {
    await createCluster(cluster);
    conn = await connect(transport);
    conn.client.setNotificationHandler('notifications/resources/updated', (n) => {
      updated.push((n.params as { uri: string }).uri);
    });
    conn.client.setNotificationHandler('notifications/resources/list_changed', () => {
      listChanged++;
    });
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('advertises subscribe and listChanged', () => {
    expect(conn.client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });
  });

  it('says nothing on a status heartbeat, and resources/updated when the phase, primary or ready instances change', async () => {
    const { resources } = await conn.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(uri());
    await conn.client.subscribeResource({ uri: uri() });
    // A heartbeat-like change outside phase/primary/ready: seen by the cache, not notified.
    await patchStatus(cluster, { phaseReason: 'heartbeat-1' });
    await readShows('heartbeat-1');
    expect(updated).toEqual([]);
    await patchStatus(cluster, { phase: 'Cluster in healthy state', readyInstances: 2 });
    await waitFor(() => updated.length === 1, { timeoutMs: 20_000, what: 'resources/updated after the phase changed' });
    await patchStatus(cluster, { currentPrimary: `${cluster}-2` });
    await waitFor(() => updated.length === 2, { timeoutMs: 20_000, what: 'resources/updated after the primary changed' });
    expect(new Set(updated)).toEqual(new Set([uri()]));
  });

  it('sends resources/list_changed when a cluster appears and when it goes', async () => {
    const before = listChanged;
    await createCluster(`${cluster}-extra`);
    await waitFor(() => listChanged > before, { timeoutMs: 20_000, what: 'list_changed after a cluster was created' });
    const afterCreate = listChanged;
    await deleteCluster(`${cluster}-extra`);
    await waitFor(() => listChanged > afterCreate, { timeoutMs: 20_000, what: 'list_changed after a cluster was deleted' });
  });

  it('stops telling after resources/unsubscribe', async () => {
    await conn.client.unsubscribeResource({ uri: uri() });
    const before = updated.length;
    await patchStatus(cluster, { phase: 'Switchover in progress', phaseReason: 'after-unsubscribe' });
    await readShows('after-unsubscribe');
    expect(updated.length).toBe(before);
  });

  it('refuses a namespace outside --namespaces with a clear error', async () => {
    await expect(conn.client.subscribeResource({ uri: 'cnpg://kube-system/anything' })).rejects.toThrow(/namespace "kube-system" is not allowed/);
    await expect(conn.client.subscribeResource({ uri: 'https://example.invalid/x' })).rejects.toThrow(/expected cnpg:\/\/<namespace>\/<name>/);
  });

  it('completes the cluster names of the namespace from the cache', async () => {
    const result = await conn.client.complete({
      ref: { type: 'ref/resource', uri: 'cnpg://{namespace}/{name}' },
      argument: { name: 'name', value: 'sub-' },
      context: { arguments: { namespace: namespace() } },
    });
    expect(result.completion.values).toContain(cluster);
    const namespaces = await conn.client.complete({ ref: { type: 'ref/prompt', name: 'diagnose_cluster' }, argument: { name: 'namespace', value: '' } });
    expect(namespaces.completion.values).toEqual([namespace()]);
  });

  it.skipIf(transport === 'stdio')('leaves no session nor cache listener behind once the session closes [in-process servers only]', async () => {
    await conn.client.subscribeResource({ uri: uri() });
    const hub = subscriptionsOf(conn.deps!)!;
    expect(hub.sessionCount).toBe(1);
    expect(hub.attached).toBe(true);
    await conn.endSession();
    await waitFor(() => hub.sessionCount === 0 && !hub.attached, { timeoutMs: 10_000, what: 'the closed session to leave the hub' });
  });
});
