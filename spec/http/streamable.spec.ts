import { Client, StreamableHTTPClientTransport, type ClientOptions } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { testDeps } from '../../test-support/in-memory.js';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../../test-support/http-server.js';
import { readUntil } from '../../test-support/sse-client.js';
import { waitFor } from '../../test-support/wait.js';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await stopAllServers();
});

async function connect(url: string, options: ClientOptions = {}) {
  const client = new Client({ name: 'spec-streamable-client', version: '1.0.0' }, options);
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url));
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

const echoingCnpg = () => depsWithCnpg({ list: async (_kind: string, namespace: string) => [fakeCluster(namespace, `pg-${namespace}`)] });

const initialize = (id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A raw POST to /mcp the way the Streamable HTTP spec describes it. */
function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

/** Opens a session with raw requests; returns its id. */
async function rawSession(url: string): Promise<string> {
  const res = await post(url, initialize());
  expect(res.status).toBe(200);
  await res.text();
  const sessionId = res.headers.get('mcp-session-id')!;
  const ack = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  expect(ack.status).toBe(202);
  return sessionId;
}

describe('Streamable HTTP transport', () => {
  it('runs initialize → tools/list → tools/call in a 2025-11-25 session', async () => {
    const { url, handle } = await startServer(echoingCnpg());
    const { client, transport } = await connect(url);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(handle.sessionCount()).toBe(1);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.filter((t) => !t.requires).map((t) => t.name));
    const result = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-b' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ count: 1, clusters: [{ name: 'pg-team-b' }] });
  });

  it('serves the 2026-07-28 revision session-less', async () => {
    const { url, handle } = await startServer(echoingCnpg());
    const { client, transport } = await connect(url, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    expect(transport.sessionId).toBeUndefined();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.filter((t) => !t.requires).map((t) => t.name));
    const result = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'team-c' } });
    expect(result.structuredContent).toMatchObject({ clusters: [{ name: 'pg-team-c' }] });
    expect(handle.sessionCount()).toBe(0);
  });

  it('ends a session on DELETE; its id then gets 404', async () => {
    const { url, handle } = await startServer(testDeps());
    const { transport } = await connect(url);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(handle.sessionCount()).toBe(0);
    const res = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: 2 });
  });

  it('rejects an unsupported MCP-Protocol-Version with 400', async () => {
    const { url } = await startServer(testDeps());
    const sessionId = await rawSession(url);
    const res = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/Unsupported protocol version/);
    const atInit = await post(url, initialize(), { 'mcp-protocol-version': '1999-01-01' });
    expect(atInit.status).toBe(400);
  });

  it('answers 503 with a JSON-RPC error once the maximum of sessions is open, and admits again when one ends', async () => {
    const { url, handle } = await startServer(testDeps(), { maxSessions: 1 });
    const first = await connect(url);
    const res = await post(url, initialize(5));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Server busy: too many open sessions, try again later' }, id: 5 });
    await expect(connect(url)).rejects.toThrow(/503|busy/i);
    expect(handle.sessionCount()).toBe(1);
    await first.transport.terminateSession();
    await connect(url);
    expect(handle.sessionCount()).toBe(1);
  });

  it('holds no session for an initialize the transport refused', async () => {
    const { url, handle } = await startServer(testDeps());
    const res = await post(url, initialize(), { accept: 'application/json' });
    expect(res.status).toBe(406);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(handle.sessionCount()).toBe(0);
  });

  it('answers a plain request with one JSON body, the session id in its headers', async () => {
    const { url } = await startServer(testDeps());
    const sessionId = await rawSession(url);
    const res = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('mcp-session-id')).toBe(sessionId);
    const body = (await res.json()) as { id: number; result: { tools: { name: string }[] } };
    expect(body.id).toBe(2);
    expect(body.result.tools.map((t) => t.name)).toContain('list_postgres_clusters');
  });

  it('answers a batch with an array in request order, and refuses a reused request id', async () => {
    const { url } = await startServer(testDeps());
    const sessionId = await rawSession(url);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const res = await post(
      url,
      [
        { jsonrpc: '2.0', id: 'b', method: 'ping' },
        { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
      ],
      headers,
    );
    const body = (await res.json()) as { id: string }[];
    expect(body.map((m) => m.id)).toEqual(['b', 'a']);
    const twice = await post(
      url,
      [
        { jsonrpc: '2.0', id: 7, method: 'ping' },
        { jsonrpc: '2.0', id: 7, method: 'ping' },
      ],
      headers,
    );
    expect(twice.status).toBe(400);
    const notRpc = await post(url, { jsonrpc: '1.0', id: 8, method: 'ping' }, headers);
    expect(notRpc.status).toBe(400);
    expect(((await notRpc.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it('streams a request that asked for progress, and replays what it missed to a client reconnecting with Last-Event-ID', async () => {
    const { url } = await startServer(testDeps());
    const sessionId = await rawSession(url);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const listed = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { progressToken: 'p' } } }, headers);
    expect(listed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The first event of the stream is the priming event: an id to resume from, no data.
    const primingId = /^id: (\S+)\ndata: \n/.exec(await listed.text())![1]!;
    const replay = await fetch(`${url}/mcp`, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': primingId } });
    expect(replay.status).toBe(200);
    const text = await readUntil(replay.body!, '"id":2');
    expect(text).toContain('list_postgres_clusters');
    await replay.body!.cancel();
  });

  it('turns a POST still unanswered after the keep-alive interval into a stream', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = depsWithCnpg({
      list: async (_kind: string, namespace: string) => {
        await gate;
        return [fakeCluster(namespace, 'pg-slow')];
      },
    });
    const { url } = await startServer(slow, { keepaliveIntervalSec: 0.05 });
    const sessionId = await rawSession(url);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const call = await post(
      url,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_postgres_clusters', arguments: { namespace: 'ns' } } },
      headers,
    );
    expect(call.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await readUntil(call.body!, ': keepalive\n\n');
    release();
    expect(await readUntil(call.body!, '"id":3')).toContain('pg-slow');
  });

  it('answers a call still waiting when its session ends with a JSON-RPC error, not an empty body', async () => {
    const gate = new Promise<never>(() => {});
    let reached!: () => void;
    const waiting = new Promise<void>((resolve) => (reached = resolve));
    const { url } = await startServer(
      depsWithCnpg({
        list: () => {
          reached();
          return gate;
        },
      }),
    );
    const sessionId = await rawSession(url);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const call = post(
      url,
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'list_postgres_clusters', arguments: { namespace: 'ns' } } },
      headers,
    );
    await waiting; // the call is inside its handler, waiting on the API
    const ended = await fetch(`${url}/mcp`, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    const answer = await call;
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { code: number } }).error.code).toBe(-32001);
  });

  it('keeps an idle GET stream alive with comments and unbuffered by proxies', async () => {
    const { url } = await startServer(testDeps(), { keepaliveIntervalSec: 0.05 });
    const sessionId = await rawSession(url);
    const stream = await fetch(`${url}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    await readUntil(stream.body!, ': keepalive\n\n');
    await stream.body!.cancel();
  });

  it('expires a session left idle, so a vanished client does not leak it', async () => {
    const { url, handle } = await startServer(testDeps(), { sessionIdleTimeoutSec: 0.3 });
    await rawSession(url);
    expect(handle.sessionCount()).toBe(1);
    await waitFor(() => handle.sessionCount() === 0, 'the idle session to expire');
  });
});
