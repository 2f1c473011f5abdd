// Session-less (2026-07-28) exchanges share nothing: two clients calling at the same time each get
// only their own answers and their own progress notifications (the cross-client leak of
// CVE-2026-25536 is what this guards against). Both clients are the SDK's own, pinned to the
// revision; the fake CNPG boundary answers after a turn of the event loop, so the calls overlap.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../../test-support/http-server.js';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await stopAllServers();
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every answer and every progress message names the namespace it was asked for. */
const namespacedCnpg = () =>
  depsWithCnpg({
    patch: async (_kind: string, namespace: string, name: string) => {
      await tick();
      return fakeCluster(namespace, name);
    },
    waitFor: async (_kind: string, namespace: string, name: string, _done: unknown, options: { onChange?: (c: unknown) => void }) => {
      for (let step = 1; step <= 3; step++) {
        options.onChange?.({ status: { readyInstances: step, phase: `phase ${step} of ${namespace}` } });
        await tick();
      }
      return { done: true, value: fakeCluster(namespace, name) };
    },
    // The scale follower counts the instance pods once the Cluster says it is there: three, ready.
    listPods: async (namespace: string) =>
      Array.from({ length: 3 }, (_, i) => ({
        metadata: { name: `pod-${i + 1}`, namespace },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      })),
  });

async function connect(url: string) {
  const client = new Client({ name: 'spec-sessionless-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url)));
  return client;
}

describe('session-less Streamable HTTP: requests are isolated', () => {
  it('two concurrent clients see only their own answers and progress', async () => {
    const { url, handle } = await startServer(namespacedCnpg());
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    const progress = { 'team-a': [] as string[], 'team-b': [] as string[] };
    const call = (client: Client, namespace: 'team-a' | 'team-b', i: number) =>
      client.callTool(
        { name: 'scale_postgres_cluster', arguments: { namespace, name: `pg-${namespace}-${i}`, instances: 3, wait: true } },
        { onprogress: (p) => void progress[namespace].push(p.message ?? '') },
      );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => [call(a, 'team-a', i), call(b, 'team-b', i)]).flat());

    results.forEach((result, k) => {
      const namespace = k % 2 === 0 ? 'team-a' : 'team-b';
      const i = Math.floor(k / 2);
      expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
      expect(result.structuredContent).toMatchObject({ namespace, name: `pg-${namespace}-${i}` });
    });
    // 10 calls × 3 phase changes each, every one on the stream of the call that caused it.
    expect(progress['team-a']).toHaveLength(30);
    expect(progress['team-b']).toHaveLength(30);
    expect(progress['team-a'].every((m) => m.includes('of team-a;'))).toBe(true);
    expect(progress['team-b'].every((m) => m.includes('of team-b;'))).toBe(true);
    expect(handle.sessionCount()).toBe(0);
  });
});
