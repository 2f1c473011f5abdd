import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServerDeps } from '../src/kit/deps.js';
import { subscriptionsOf } from '../src/mcp/server.js';
import { startServer, stopAllServers } from '../test-support/http-server.js';
import { testDeps } from '../test-support/in-memory.js';
import { waitFor } from '../test-support/wait.js';
import { useTestNamespace } from './helpers/cluster.js';
import { statusOnlyClusters } from './helpers/status-only-clusters.js';

const namespace = useTestNamespace('listen');
const { create: createCluster, patchStatus, remove: deleteCluster } = statusOnlyClusters(namespace);
const CLUSTER = 'listened';
const uri = () => `cnpg://${namespace()}/${CLUSTER}`;

let deps: ServerDeps;
let url: string;
let sessionCount: () => number;
let client: Client;
const updated: string[] = [];
let listChanged = 0;

/** The cache has the change when resources/read shows it (no fixed sleep). */
const readShows = (needle: string) =>
  waitFor(async () => ((await client.readResource({ uri: uri() })).contents[0] as { text: string }).text.includes(needle), {
    timeoutMs: 20_000,
    what: `${uri()} to show ${needle}`,
  });

async function connect(): Promise<Client> {
  const c = new Client({ name: 'e2e-listen', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await c.connect(new StreamableHTTPClientTransport(new URL('/mcp', url)));
  return c;
}

beforeAll(async () => {
  await createCluster(CLUSTER);
  deps = testDeps(['--namespaces', namespace()], { KUBECONFIG: inject('kubeconfigPath') });
  const server = await startServer(deps);
  url = server.url;
  sessionCount = () => server.handle.sessionCount();
  client = await connect();
  client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push((n.params as { uri: string }).uri));
  client.setNotificationHandler('notifications/resources/list_changed', () => void listChanged++);
});
afterAll(async () => {
  await client?.close();
  await stopAllServers();
  await deps?.close?.();
});

describe('subscriptions/listen, session-less, from the watch cache', () => {
  it('is acknowledged with the URI and list changes it asked for; no session exists', async () => {
    const sub = await client.listen({ resourceSubscriptions: [uri()], resourcesListChanged: true });
    try {
      expect(sub.honoredFilter).toEqual({ resourceSubscriptions: [uri()], resourcesListChanged: true });
      expect(subscriptionsOf(deps)!.attached).toBe(true);
      expect(sessionCount()).toBe(0);

      // A status change outside phase, primary and ready instances: seen by the cache, not told.
      await patchStatus(CLUSTER, { phaseReason: 'heartbeat-1' });
      await readShows('heartbeat-1');
      expect(updated).toEqual([]);
      await patchStatus(CLUSTER, { phase: 'Cluster in healthy state', readyInstances: 2 });
      await waitFor(() => updated.length === 1, { timeoutMs: 20_000, what: 'resources/updated after the phase changed' });
      await patchStatus(CLUSTER, { currentPrimary: `${CLUSTER}-2` });
      await waitFor(() => updated.length === 2, { timeoutMs: 20_000, what: 'resources/updated after the primary changed' });
      expect(new Set(updated)).toEqual(new Set([uri()]));

      // Another cluster: its appearance and removal are list changes; its own updates are not asked for.
      const before = listChanged;
      await createCluster(`${CLUSTER}-extra`);
      await waitFor(() => listChanged > before, { timeoutMs: 20_000, what: 'list_changed after a cluster was created' });
      const afterCreate = listChanged;
      await deleteCluster(`${CLUSTER}-extra`);
      await waitFor(() => listChanged > afterCreate, { timeoutMs: 20_000, what: 'list_changed after a cluster was deleted' });
      expect(new Set(updated)).toEqual(new Set([uri()]));
    } finally {
      await sub.close();
    }
  });

  it('ends with the request: once the stream is closed nothing more is told, and the cache listener goes', async () => {
    const sub = await client.listen({ resourceSubscriptions: [uri()] });
    const hub = subscriptionsOf(deps)!;
    expect(hub.sessionCount).toBe(1);
    await sub.close();
    expect(await sub.closed).toBe('local');
    await waitFor(() => hub.sessionCount === 0 && !hub.attached, { timeoutMs: 10_000, what: 'the closed stream to leave the hub' });
    const before = updated.length;
    await patchStatus(CLUSTER, { phase: 'Switchover in progress', phaseReason: 'after-close' });
    await readShows('after-close');
    expect(updated.length).toBe(before);
  });

  it('refuses a URI outside --namespaces with a clear error, and listens to nothing', async () => {
    await expect(client.listen({ resourceSubscriptions: [uri(), 'cnpg://kube-system/anything'] })).rejects.toThrow(
      /cannot subscribe to cnpg:\/\/kube-system\/anything: namespace "kube-system" is not allowed.*Nothing is listened to/,
    );
    await expect(client.listen({ resourceSubscriptions: ['https://example.invalid/x'] })).rejects.toThrow(/expected cnpg:\/\/<namespace>\/<name>/);
    expect(subscriptionsOf(deps)!.sessionCount).toBe(0);
  });
});
