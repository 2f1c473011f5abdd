// Issue #5, items 6 and 14: a session is usable only by the principal that opened it (another
// valid principal gets the same 404 as for an unknown session), session ids are random, and
// one principal may hold at most --max-sessions-per-principal sessions: at its cap its least
// recently used idle session is closed for the new one (#12 item 19).
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
// undici's own fetch: Node's built-in one does not take this undici version's Agent.
import { Agent, fetch as fetchVia } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../test-support/http-server.js';
import { deferred } from '../../test-support/wait.js';
import { MCP_ACCEPT, TOKEN_A, TOKEN_B, bearer, initializeBody, openRawSession, postMcp, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

const SESSION_NOT_FOUND = { code: -32001, message: 'Session not found' };
// RFC 9562 version 4: 122 of the 128 bits are random (version nibble 4, variant bits 10).
const listCall = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_postgres_clusters', arguments: {} } });
const sessionHeaders = (token: string | undefined, session: string): Record<string, string> => ({
  ...(token ? bearer(token) : {}),
  'mcp-session-id': session,
  'mcp-protocol-version': '2025-11-25',
});
const mcpHeaders = () => ({ 'content-type': 'application/json', accept: MCP_ACCEPT });
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('session binding', () => {
  it('answers another principal using a Streamable HTTP session exactly as an unknown session', async () => {
    const { url } = await startSecured();
    const session = await openRawSession(url, TOKEN_A);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const stolen = await postMcp(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...bearer(TOKEN_B), ...headers });
    const unknown = await postMcp(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { ...bearer(TOKEN_B), ...headers, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' },
    );
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual(await unknown.json());
    // GET (the stream) and DELETE are bound too: bob cannot listen in, nor end alice's session.
    const get = await fetch(`${url}/mcp`, { headers: { ...bearer(TOKEN_B), ...headers, accept: 'text/event-stream' } });
    expect(get.status).toBe(404);
    const del = await fetch(`${url}/mcp`, { method: 'DELETE', headers: { ...bearer(TOKEN_B), ...headers } });
    expect(del.status).toBe(404);
    // The owner still can.
    const own = await postMcp(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { ...bearer(TOKEN_A), ...headers });
    expect(own.status).toBe(200);
  });

  it('answers another principal posting to a legacy SSE session exactly as an unknown session', async () => {
    const { url } = await startSecured();
    const alice = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => alice.close());
    const post = (sessionUrl: URL | string) =>
      fetch(sessionUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(TOKEN_B) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
    const stolen = await post(alice.endpoint);
    const unknown = await post(`${url}/messages?sessionId=00000000-0000-4000-8000-000000000000`);
    expect(stolen.status).toBe(404);
    expect((await stolen.json()).error).toEqual(SESSION_NOT_FOUND);
    expect((await unknown.json()).error).toEqual(SESSION_NOT_FOUND);
    expect(alice.received).toEqual([]);
    expect((await alice.initialize()).result).toBeDefined();
  });

  it('names sessions with random version 4 UUIDs (122 random bits), never twice the same', async () => {
    const { url } = await startSecured({ config: { maxSessionsPerPrincipal: 0 } });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(await openRawSession(url, TOKEN_A));
    for (let i = 0; i < 5; i++) {
      const client = await SseClient.connect(url, 5000, bearer(TOKEN_A));
      closers.push(() => client.close());
      ids.add(client.sessionId);
    }
    expect(ids.size).toBe(25);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});

describe('sessions per principal', () => {
  it('refuses a principal its next session beyond --max-sessions-per-principal with 429 when every one of its sessions has a call in flight, while others still get theirs', async () => {
    const started = deferred();
    const release = deferred();
    let running = 0;
    const deps = depsWithCnpg({
      list: async (_kind: string, namespace: string) => {
        if (++running === 2) started.resolve();
        await release.promise;
        return [fakeCluster(namespace, 'pg')];
      },
    });
    closers.push(() => release.resolve());
    const { url, running: server } = await startSecured({ deps, config: { maxSessionsPerPrincipal: 2 } });
    const busy = [await openRawSession(url, TOKEN_A), await openRawSession(url, TOKEN_A)];
    const calls = busy.map((session, i) => postMcp(url, listCall(10 + i), sessionHeaders(TOKEN_A, session)));
    await started.promise;
    const third = await postMcp(url, initializeBody(3), bearer(TOKEN_A));
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect((await third.json()).error.message).toMatch(/Too many open sessions for this principal/);
    await expect(SseClient.connect(url, 2000, bearer(TOKEN_A))).rejects.toThrow(/429/);
    await openRawSession(url, TOKEN_B);
    expect(server.handle.sessionCount()).toBe(3);
    // Once its calls are answered, its sessions are idle and the least recently used one makes room.
    release.resolve();
    for (const call of calls) expect((await call).status).toBe(200);
    await openRawSession(url, TOKEN_A);
    expect(server.handle.sessionCount()).toBe(3);
  });

  it('closes the least recently used idle session of a principal at its cap instead of refusing: 60 clients that never DELETE all get sessions (#12 item 19)', async () => {
    // No tokens: the unauthenticated loopback mode, every client on 127.0.0.1, the default cap of 50.
    const { url, running } = await startSecured({ tokens: [] });
    const clients: { client: Client; transport: StreamableHTTPClientTransport }[] = [];
    closers.push(() => Promise.all(clients.map(({ client }) => client.close())));
    const connect = async () => {
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', url));
      const client = new Client({ name: `spec-lru-${clients.length}`, version: '1.0.0' });
      // The SDK reports the 404 of an evicted session's GET stream here; the spec checks it by hand below.
      client.onerror = () => {};
      await client.connect(transport);
      clients.push({ client, transport });
    };
    for (let i = 0; i < 50; i++) await connect();
    // The first client is used again: it is now the most recently active, the second the least.
    await clients[0]!.client.listTools();
    for (let i = 50; i < 60; i++) await connect();
    expect(clients).toHaveLength(60);
    expect(running.handle.sessionCount()).toBe(50);
    const status = async (i: number) => (await postMcp(url, listCall(100 + i), sessionHeaders(undefined, clients[i]!.transport.sessionId!))).status;
    // Clients 2–11 (indexes 1–10) were the ten least recently used: their next call gets 404.
    for (let i = 1; i <= 10; i++) expect(await status(i), `client ${i}`).toBe(404);
    const evicted = await postMcp(url, listCall(1), sessionHeaders(undefined, clients[1]!.transport.sessionId!));
    expect((await evicted.json()).error).toEqual(SESSION_NOT_FOUND);
    for (const i of [0, 11, 30, 59]) expect(await status(i), `client ${i}`).toBe(200);
  });

  it('gives each client address its own sessions without authentication: one address at its cap does not close the sessions of another (#12 item 19)', async () => {
    const { url, running } = await startSecured({ tokens: [], config: { maxSessionsPerPrincipal: 2 } });
    const from = (address: string) => new Agent({ localAddress: address });
    const agents = [from('127.0.0.1'), from('127.0.0.2')];
    closers.push(() => Promise.all(agents.map((agent) => agent.close())));
    const open = async (agent: Agent) => {
      const res = await fetchVia(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(), body: JSON.stringify(initializeBody()), dispatcher: agent });
      expect(res.status).toBe(200);
      await res.text();
      return res.headers.get('mcp-session-id')!;
    };
    const first = [await open(agents[0]!), await open(agents[0]!)];
    // The other address opens as many as its own cap allows, and one more.
    for (let i = 0; i < 3; i++) await open(agents[1]!);
    expect(running.handle.sessionCount()).toBe(4);
    for (const session of first) {
      const res = await fetchVia(`${url}/mcp`, {
        method: 'POST',
        headers: { ...mcpHeaders(), ...sessionHeaders(undefined, session) },
        body: JSON.stringify(listCall(7)),
        dispatcher: agents[0]!,
      });
      expect(res.status, 'a session of 127.0.0.1').toBe(200);
    }
  });
});
