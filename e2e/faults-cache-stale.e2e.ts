// Issue #12, item 14: reads served from the cache while the API server is down say how old they
// are. kube-apiserver of an API-only plane of this file's own is killed; a read-only tool and a
// resource read, through the SDK's real client, are then answered from the watch cache's last
// known state with the age of that state in the text and in `_meta` (src/cnpg/last-known.ts),
// a tool that changes things fails instead, and once kube-apiserver is back the same reads are
// fresh again (no stale note).
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CnpgClient } from '../src/cnpg/client.js';
import { STALE_META_KEY, type StaleNote } from '../src/cnpg/last-known.js';
import type { ServerDeps } from '../src/kit/deps.js';
import { startProcess, type ManagedProcess } from '../local-cluster/processes.js';
import { startControlPlane, type ControlPlane } from '../local-cluster/start.js';
import { connectInMemory, testDeps } from '../test-support/in-memory.js';
import { loadKubeConfig } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';

const NS = 'default';
let plane: ControlPlane;
let restarted: ManagedProcess | undefined;
let deps: ServerDeps;
let conn: { client: Client; close(): Promise<void> };

type Answer = { text: string; note: StaleNote | undefined; names: string[]; isError: boolean };

async function listClusters(): Promise<Answer> {
  const result = await conn.client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: NS } });
  const text = (result.content as { text: string }[])[0]!.text;
  const clusters = (result.structuredContent as { clusters?: { name: string }[] } | undefined)?.clusters ?? [];
  return { text, note: result._meta?.[STALE_META_KEY] as StaleNote | undefined, names: clusters.map((c) => c.name), isError: result.isError === true };
}

async function readResource(): Promise<{ body: Record<string, unknown>; note: StaleNote | undefined }> {
  const result = await conn.client.readResource({ uri: `cnpg://${NS}/pg-stale` });
  return { body: JSON.parse((result.contents[0] as { text: string }).text), note: result._meta?.[STALE_META_KEY] as StaleNote | undefined };
}

beforeAll(async () => {
  plane = await startControlPlane({ mode: 'api-only' });
  // The server's own wiring (src/deps.ts): the shared watch cache is on by default.
  deps = testDeps([], { KUBECONFIG: plane.kubeconfigPath });
  conn = await connectInMemory(deps);
  // Someone else's write, without the cache, so read-your-writes does not send reads to the API.
  await new CnpgClient(loadKubeConfig(plane.kubeconfigPath)).create('cluster', NS, {
    metadata: { name: 'pg-stale' },
    spec: { instances: 1, storage: { size: '1Gi' } },
  });
}, 300_000);
afterAll(async () => {
  await conn?.close();
  await deps?.close?.();
  await restarted?.stop();
  await plane?.stop();
});

describe('reads while the API server is down', () => {
  it('answer from the cache with the age of its state, refuse writes, and are fresh again once the API server is back', async () => {
    // The watch holds the Cluster (and the reads are fresh).
    const before = await waitFor(
      async () => {
        const answer = await listClusters();
        return answer.names.includes('pg-stale') ? answer : undefined;
      },
      { what: 'the cache to hold the Cluster', timeoutMs: 30_000 },
    );
    expect(before.note).toBeUndefined();
    await waitFor(async () => (await readResource()).body.summary !== undefined, 'the resource to read');

    const pid = plane.pids.apiserver;
    const [command, ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the old kube-apiserver to be gone');

    // The watch notices its connection is gone; from then on the read goes to the API, fails, and
    // is answered from the last known state instead.
    const stale = await waitFor(
      async () => {
        const answer = await listClusters();
        return answer.note ? answer : undefined;
      },
      { what: 'a read answered from the cache, marked stale', timeoutMs: 30_000, intervalMs: 200 },
    );
    console.log(`[faults-cache-stale] while the API server is down: ${stale.text.split('\n')[0]}`);
    expect(stale.isError).toBe(false);
    expect(stale.names).toEqual(['pg-stale']);
    expect(stale.text).toMatch(
      /^From the cache, last confirmed by the API server \d+ s ago \(\d{4}-\d\d-\d\dT[^)]+\): the API server is unreachable \(https:\/\/[^:]+:\d+: connection refused\)/,
    );
    expect(stale.note).toMatchObject({ stale: true, age_seconds: expect.any(Number), last_synced_at: expect.any(String) });
    expect(stale.note!.reason).toContain('connection refused');
    // The state it reports was confirmed around the moment the API server went away.
    const syncedAt = Date.parse(stale.note!.last_synced_at);
    expect(Math.abs(syncedAt - killedAt)).toBeLessThan(10_000);

    // Its age grows with time: it is the age of that state, not of the answer.
    const older = await waitFor(
      async () => {
        const answer = await listClusters();
        return answer.note && answer.note.age_seconds >= stale.note!.age_seconds + 2 ? answer : undefined;
      },
      { what: 'the stale answer to be two seconds older', timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(older.note!.last_synced_at).toBe(stale.note!.last_synced_at);

    // format=json keeps the text JSON: the note is a field of it.
    const asJson = await conn.client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: NS, format: 'json' } });
    const json = JSON.parse((asJson.content as { text: string }[])[0]!.text) as { clusters: { name: string }[]; cache?: StaleNote };
    expect(json.clusters.map((c) => c.name)).toEqual(['pg-stale']);
    expect(json.cache).toMatchObject({ stale: true, last_synced_at: stale.note!.last_synced_at });

    // A resource read says it in its body and in _meta.
    const resource = await readResource();
    expect(resource.note).toMatchObject({ stale: true, last_synced_at: stale.note!.last_synced_at });
    expect(resource.body.cache).toMatchObject({ stale: true, last_synced_at: stale.note!.last_synced_at });

    // A tool that changes things is never answered from the cache.
    const write = await conn.client.callTool({ name: 'scale_postgres_cluster', arguments: { namespace: NS, name: 'pg-stale', instances: 2 } });
    expect(write.isError).toBe(true);
    expect((write.content as { text: string }[])[0]!.text).toMatch(/did not answer: connection refused/);
    expect(write._meta?.[STALE_META_KEY]).toBeUndefined();

    // kube-apiserver comes back (same flags, same port): reads are fresh again.
    restarted = startProcess({ name: 'kube-apiserver-restarted', command: command!, args, logDir: plane.logDir });
    const fresh = await waitFor(
      async () => {
        const answer = await listClusters().catch(() => undefined);
        return answer && !answer.note && !answer.isError ? answer : undefined;
      },
      { what: 'a fresh read after kube-apiserver is back', timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(fresh.names).toEqual(['pg-stale']);
    expect(fresh.text).not.toContain('From the cache');
    expect((await readResource()).body.cache).toBeUndefined();
  }, 240_000);
});
