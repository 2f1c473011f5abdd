// Issue #12, item 2: a wait honours its timeout past the 30 s after which client-node ends a
// silent watch, reports progress that increases, and at the timeout answers (not an error) that
// the change was made and is not complete. On the API-only plane no cluster becomes ready, so
// every wait here runs to its timeout.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { startStdioServer, type StdioSession } from '../test-support/stdio-session.js';
import { objectReader } from '../test-support/kube.js';

let ns: string;
let mcp: StdioSession;
let api: ReturnType<typeof objectReader>;

beforeAll(async () => {
  ns = await createTestNamespace('faults-wait');
  api = objectReader(e2eKubeConfig(), ns);
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
});
afterAll(async () => mcp?.close());

// A StorageClass that does not exist keeps the volumes Pending: the Cluster cannot become ready,
// with or without a node.
describe('wait=true on a cluster that does not become ready', () => {
  it('create waits its whole 40 s timeout (longer than one watch lives), then answers with structured content', async () => {
    const progress: { progress: number; message?: string }[] = [];
    const r = await mcp.call(
      'create_postgres_cluster',
      { name: 'pg-long', instances: 2, storage_size: '1Gi', storage_class: 'cnpg-mcp-e2e-no-such-class', wait: true, timeout: 40 },
      { onprogress: (p) => progress.push({ progress: p.progress, message: p.message }), timeout: 90_000, resetTimeoutOnProgress: true },
    );
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.wait).toMatchObject({ complete: false, instances: 2 });
    expect((r.data!.wait as { waited_seconds: number }).waited_seconds).toBeGreaterThanOrEqual(40);
    expect(r.text).toMatch(/Created cluster .*Not finished after \d+s \(.+; \d\/2 ready.*\): the operator is still working on it/);
    expect(await api.get('clusters', 'pg-long')).toBeDefined();
    // Progress strictly increases (MCP requires it) and each message says ready/total and the phase.
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    for (const p of progress) expect(p.message).toMatch(/^.+; primary .+; \d\/2 ready/);
  }, 120_000);

  it('scale with wait answers the same way at its timeout', async () => {
    const r = await mcp.call('scale_postgres_cluster', { name: 'pg-long', instances: 3, wait: true, timeout: 5 }, { timeout: 60_000 });
    expect(r.isError, r.text).toBe(false);
    expect(r.data?.wait).toMatchObject({ complete: false, instances: 3 });
    expect((await api.get('clusters', 'pg-long'))?.spec.instances).toBe(3);
  });
});
