import { afterEach, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { testDeps } from '../../test-support/in-memory.js';
import { SseClient, readUntil } from '../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';

const clients: SseClient[] = [];
async function connect(url: string): Promise<SseClient> {
  const client = await SseClient.connect(url);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAllServers();
});

/** cnpg().list answers one cluster named after the namespace asked for: each client can tell its own answer. */
const echoingCnpg = () => depsWithCnpg({ list: async (_kind: string, namespace: string) => [fakeCluster(namespace, `pg-${namespace}`)] });

describe('legacy HTTP+SSE transport', () => {
  it('opens the stream with an endpoint event naming the message URL of a new session', async () => {
    const { url, handle } = await startServer(testDeps());
    const client = await connect(url);
    expect(client.endpoint.pathname).toBe('/messages');
    expect(client.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(handle.sessionCount()).toBe(1);
  });

  it('sets the stream headers proxies need', async () => {
    const { url } = await startServer(testDeps());
    const res = await fetch(`${url}/sse`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    await res.body!.cancel();
  });

  it('runs initialize → tools/list → tools/call with answers on the stream', async () => {
    const { url } = await startServer(echoingCnpg());
    const client = await connect(url);
    const init = await client.initialize();
    expect(init.result).toMatchObject({ protocolVersion: '2024-11-05', serverInfo: { name: 'cnpg-mcp' } });
    const list = await client.request('tools/list');
    expect((list.result!.tools as { name: string }[]).map((t) => t.name)).toEqual(ALL_TOOLS.filter((t) => !t.requires).map((t) => t.name));
    const call = await client.request('tools/call', { name: 'list_postgres_clusters', arguments: { namespace: 'team-a' } });
    expect(call.result!.isError).toBeFalsy();
    expect(call.result!.structuredContent).toMatchObject({ count: 1, clusters: [{ name: 'pg-team-a', namespace: 'team-a' }] });
  });

  it('keeps 50 concurrent sessions apart: each client gets only its own answers', async () => {
    const { url, handle } = await startServer(echoingCnpg());
    const many = await Promise.all(Array.from({ length: 50 }, () => connect(url)));
    expect(handle.sessionCount()).toBe(50);
    // Every client uses the same request ids: answers must be routed by session, not by id.
    await Promise.all(
      many.map(async (client, i) => {
        await client.initialize();
        const call = await client.request('tools/call', { name: 'list_postgres_clusters', arguments: { namespace: `ns-${i}` } }, 'call');
        expect(call.result!.structuredContent).toMatchObject({ clusters: [{ name: `pg-ns-${i}` }] });
      }),
    );
    for (const [i, client] of many.entries()) {
      expect(client.received.map((m) => m.id)).toEqual([1, 'call']);
      const text = JSON.stringify(client.received);
      expect(text).toContain(`pg-ns-${i}"`);
      expect(text.match(/pg-ns-\d+"/g)!.every((name) => name === `pg-ns-${i}"`)).toBe(true);
    }
  });

  it('frees the session when the client disconnects', async () => {
    const { url, handle } = await startServer(testDeps());
    const a = await connect(url);
    await connect(url);
    await a.initialize();
    expect(handle.sessionCount()).toBe(2);
    for (const c of clients) c.close();
    await waitFor(() => handle.sessionCount() === 0, 'every session to be freed');
    const res = await a.post({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect(res.status).toBe(404);
  });

  it('writes keep-alive comments on an idle stream', async () => {
    const { url } = await startServer(testDeps(), { keepaliveIntervalSec: 0.05 });
    const res = await fetch(`${url}/sse`);
    const text = await readUntil(res.body!, ': keepalive\n\n');
    expect(text).toMatch(/^event: endpoint\n/);
    await res.body!.cancel();
  });

  it('answers 503 with a JSON-RPC error once the maximum of sessions is open', async () => {
    const { url, handle } = await startServer(testDeps(), { maxSessions: 2 });
    await connect(url);
    await connect(url);
    const res = await fetch(`${url}/sse`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Server busy: too many open sessions, try again later' }, id: null });
    expect(handle.sessionCount()).toBe(2);
  });

  it('closes a session idle for longer than the idle timeout', async () => {
    const { url, handle } = await startServer(testDeps(), { sessionIdleTimeoutSec: 0.5 });
    const client = await connect(url);
    const closed = client.closedByServer();
    await client.initialize();
    await closed;
    expect(handle.sessionCount()).toBe(0);
  });

  it('refuses a message that is not JSON-RPC without echoing it', async () => {
    const { url } = await startServer(testDeps());
    const client = await connect(url);
    const res = await client.post({ hello: '<script>' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe(-32600);
    expect(text).not.toContain('script');
  });
});
