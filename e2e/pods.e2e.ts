// Tool effects that need running PostgreSQL pods: only on a cluster with a kubelet (kind or an
// existing cluster). On the local control plane they are skipped with the reason in the name.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, podsCanRun, skipReasonNoPods, waitFor } from './helpers/cluster.js';
import { startStdioServer, type StdioSession } from './helpers/mcp.js';

const canRun = podsCanRun();
const suffix = canRun ? '' : ` — skipped: ${skipReasonNoPods}`;
let mcp: StdioSession;
let ns: string;

beforeAll(async () => {
  if (!canRun) return;
  ns = await createTestNamespace('pods');
  mcp = await startStdioServer(inject('kubeconfigPath'), ['--namespace', ns]);
});
afterAll(async () => {
  await mcp?.close();
});

describe.skipIf(!canRun)(`with running instances${suffix}`, () => {
  it('create_postgres_cluster with wait reports progress until every instance is ready', async () => {
    const progress: unknown[] = [];
    const r = await mcp.call('create_postgres_cluster', { name: 'pg', instances: 2, storage_size: '1Gi', wait: true, timeout: 900 }, { onprogress: (p) => progress.push(p), timeout: 960_000 });
    expect(r.isError, r.text).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    const status = await mcp.call('get_cluster_status', { name: 'pg' });
    expect(status.data).toMatchObject({ healthy: true, ready_instances: 2, current_primary: 'pg-1' });
  }, 1_000_000);

  it('promote_cluster_instance performs a switchover the operator completes', async () => {
    const r = await mcp.call('promote_cluster_instance', { name: 'pg', instance: 'pg-2' });
    expect(r.isError, r.text).toBe(false);
    await waitFor(async () => {
      const s = await mcp.call('get_cluster_status', { name: 'pg' });
      return s.data?.current_primary === 'pg-2' && s.data?.healthy === true;
    }, { timeoutMs: 300_000, what: 'pg-2 to become the primary' });
  }, 320_000);

  it('get_cluster_logs reads PostgreSQL logs of every instance', async () => {
    const r = await mcp.call('get_cluster_logs', { name: 'pg', tail_lines: 20 });
    expect(r.isError, r.text).toBe(false);
    expect((r.data?.logs as { instance: string }[]).map((l) => l.instance).sort()).toEqual(['pg-1', 'pg-2']);
  });

  it('restart_cluster_instance recreates a replica', async () => {
    const r = await mcp.call('restart_cluster_instance', { name: 'pg', instance: 'pg-1' });
    expect(r.isError, r.text).toBe(false);
    await waitFor(async () => (await mcp.call('get_cluster_status', { name: 'pg' })).data?.ready_instances === 2, { timeoutMs: 300_000, what: 'pg-1 back' });
  }, 320_000);
});
