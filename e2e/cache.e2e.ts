// The shared watch cache against a real API server: reads stop costing API requests once it
// has synced, and a write of ours is visible to the very next read (read-your-writes).
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchCache } from '../src/cnpg/cache.js';
import { CnpgClient } from '../src/cnpg/client.js';
import type { Cluster } from '../src/cnpg/types.js';
import { createLogger } from '../src/log.js';
import { cacheReads, kubeApiRequests } from '../src/metrics.js';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { waitFor } from '../test-support/wait.js';

let ns: string;
let cache: WatchCache;
let client: CnpgClient;

async function apiRequests(): Promise<number> {
  return (await kubeApiRequests.get()).values.reduce((sum, v) => sum + v.value, 0);
}
async function cacheHits(): Promise<number> {
  return (await cacheReads.get()).values.filter((v) => v.labels.result === 'hit').reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  ns = await createTestNamespace('cache');
  cache = new WatchCache(e2eKubeConfig(), undefined, createLogger('silent'));
  client = new CnpgClient(e2eKubeConfig(), cache);
  for (const name of ['c1', 'c2', 'c3']) {
    await client.create('cluster', ns, { metadata: { name }, spec: { instances: 1, storage: { size: '1Gi' } } });
  }
});
afterAll(async () => {
  await cache?.stop();
});

describe('watch cache', () => {
  it('serves 1,000 reads from 100 simulated clients with at most 5 API requests', async () => {
    // Warm up: the first read starts the watch; wait until reads are hits.
    await waitFor(
      async () => {
        const before = await cacheHits();
        await client.list('cluster', ns);
        return (await cacheHits()) > before;
      },
      { timeoutMs: 20_000, what: 'the cluster watch to sync' },
    );

    const before = await apiRequests();
    const clients = Array.from({ length: 100 }, (_, i) => i);
    await Promise.all(
      clients.map(async (i) => {
        for (let j = 0; j < 10; j++) {
          if (j % 2) await client.get<Cluster>('cluster', ns, `c${(i % 3) + 1}`);
          else expect((await client.list<Cluster>('cluster', ns)).length).toBe(3);
        }
      }),
    );
    const used = (await apiRequests()) - before;
    console.log(`API requests for 1000 cached reads: ${used}`);
    expect(used).toBeLessThanOrEqual(5);
  });

  it('an unknown object is a 404 from the synced cache', async () => {
    await expect(client.get('cluster', ns, 'nope')).rejects.toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('reads its own writes immediately', async () => {
    for (let n = 2; n <= 6; n++) {
      await client.patch('cluster', ns, 'c1', { spec: { instances: n } });
      expect((await client.get<Cluster>('cluster', ns, 'c1')).spec?.instances).toBe(n);
    }
    await client.delete('cluster', ns, 'c3');
    const names = (await client.list<Cluster>('cluster', ns)).map((c) => c.metadata.name);
    expect(names).not.toContain('c3');
  });
});

describe('watch cache without permission to list', () => {
  it('never answers from an empty cache: reads keep getting the API server 403 through every refused list of its feed', async () => {
    const { impersonatingConfig } = await import('../src/cnpg/impersonation.js');
    const kc = impersonatingConfig(e2eKubeConfig(), { user: 'nobody-special', groups: [] });
    // The feed logs each list that failed: once one is logged, that attempt is settled, and a feed
    // that wrongly took it for a sync would answer the next read from its empty store.
    const failedLists: unknown[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg?: string; kind?: string };
          if (entry.kind === 'cluster' && entry.msg?.startsWith('watch interrupted')) failedLists.push(entry);
        },
      },
    );
    const limited = new WatchCache(kc, undefined, logger);
    const reader = new CnpgClient(kc, limited);
    try {
      // The first read starts the feed; each later one comes after one more refused list (the
      // feed lists again after a short, capped backoff).
      for (let attempt = 1; attempt <= 3; attempt++) {
        await expect(reader.get('cluster', ns, 'c1')).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
        await waitFor(() => failedLists.length >= attempt, { timeoutMs: 20_000, what: `list ${attempt} of the feed to be refused` });
      }
      await expect(reader.get('cluster', ns, 'c1')).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
      await expect(reader.list('cluster', ns)).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
    } finally {
      await limited.stop();
    }
  });
});
