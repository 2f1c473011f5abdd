import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { startServerProcess } from '../../test-support/server-process.js';
import { deferred, waitFor } from '../../test-support/wait.js';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../../test-support/http-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
  await stopAllServers();
});

/** A CNPG boundary whose list() waits until the spec releases it: a tool call held in flight. */
function slowCnpg() {
  const started = deferred();
  const release = deferred();
  const deps = depsWithCnpg({
    list: async (_kind: string, namespace: string) => {
      started.resolve();
      await release.promise;
      return [fakeCluster(namespace, 'slow')];
    },
  });
  return { deps, started: started.promise, release: () => release.resolve() };
}

describe('graceful shutdown', () => {
  it('fails readiness, refuses new work, lets the call in flight finish, then closes (legacy SSE)', async () => {
    const slow = slowCnpg();
    const running = await startServer(slow.deps, { shutdownTimeoutSec: 10 });
    const client = await SseClient.connect(running.url);
    cleanups.push(() => client.close());
    await client.initialize();
    const call = client.request('tools/call', { name: 'list_postgres_clusters', arguments: {} });
    await slow.started;
    expect(running.handle.inflightRequests()).toBe(1);

    const closedByServer = client.closedByServer();
    const stopped = running.shutdown();
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: 'shutting down' });
    expect((await fetch(`${running.url}/sse`)).status).toBe(503);
    const refused = await client.post({ jsonrpc: '2.0', id: 99, method: 'tools/list' });
    expect(refused.status).toBe(503);

    slow.release();
    const answer = await call;
    expect(answer.result!.structuredContent).toMatchObject({ clusters: [{ name: 'slow' }] });
    expect(await stopped).toBe(true);
    await closedByServer;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('lets a Streamable HTTP call in flight finish before closing', async () => {
    const slow = slowCnpg();
    const running = await startServer(slow.deps, { shutdownTimeoutSec: 10 });
    const client = new Client({ name: 'spec', version: '1.0.0' });
    cleanups.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', running.url)));
    const call = client.callTool({ name: 'list_postgres_clusters', arguments: {} });
    await slow.started;
    const stopped = running.shutdown();
    await waitFor(() => running.handle.isDraining(), 'the drain to begin');
    slow.release();
    expect((await call).structuredContent).toMatchObject({ clusters: [{ name: 'slow' }] });
    expect(await stopped).toBe(true);
    expect(running.handle.sessionCount()).toBe(0);
  });

  it('gives up on calls still running at the shutdown deadline, answering each for its own id that the server is shutting down (legacy SSE, #12 item 12)', async () => {
    const slow = slowCnpg();
    cleanups.push(slow.release);
    const running = await startServer(slow.deps, { shutdownTimeoutSec: 0.2 });
    const client = await SseClient.connect(running.url);
    cleanups.push(() => client.close());
    await client.initialize();
    const call = client.request('tools/call', { name: 'list_postgres_clusters', arguments: {} });
    await slow.started;
    expect(await running.shutdown()).toBe(false);
    expect(running.handle.sessionCount()).toBe(0);
    expect((await call).error).toEqual({
      code: -32000,
      message: expect.stringMatching(/^Server is shutting down: this call did not finish before the shutdown deadline/),
    });
  });

  it('answers a Streamable HTTP call cut by the shutdown deadline with a JSON-RPC error for its id, not "Session not found" (#12 item 12)', async () => {
    const slow = slowCnpg();
    cleanups.push(slow.release);
    const running = await startServer(slow.deps, { shutdownTimeoutSec: 0.2 });
    const client = new Client({ name: 'spec', version: '1.0.0' });
    cleanups.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', running.url)));
    const call = client.callTool({ name: 'list_postgres_clusters', arguments: {} }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; message?: string },
    );
    await slow.started;
    expect(await running.shutdown()).toBe(false);
    const failure = await call;
    expect(failure?.code).toBe(-32000);
    expect(failure?.message).toMatch(/Server is shutting down: this call did not finish before the shutdown deadline/);
    expect(failure?.message).not.toMatch(/Session not found/);
  });

  it('exits 0 on SIGTERM when run as `cnpg-mcp --transport http`', async () => {
    const server = await startServerProcess({ kubeconfigPath: '/nonexistent/kubeconfig', env: { CNPG_MCP_LOG_LEVEL: 'info' }, shutdownTimeoutSec: null });
    cleanups.push(() => server.kill());
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.log()).toContain('"msg":"stopped"');
  });
});
