// Issue #5, item 14: body size (after auth: an unauthenticated client cannot make the server
// read a large body), header timeout against slowloris, tool calls running at once.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { deferred, waitFor } from '../../test-support/wait.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, TOKEN_B, bearer, connectWithToken, openRawSession, postMcp, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

/** POSTs `size` bytes to `path`, streaming; resolves with the status and headers of the answer (possibly before the body was all sent). */
function postLarge(
  url: string,
  path: string,
  size: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; connection?: string; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = httpRequest(
      `${url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(size), ...headers } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode!, connection: res.headers.connection, sentBytes: sent });
      },
    );
    // The server may close the connection once it answered: a write error then is expected.
    req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('body size', () => {
  it('answers 401 to an unauthenticated 10 MB body without reading it, and closes the connection', async () => {
    const { url } = await startSecured();
    const res = await postLarge(url, '/mcp', 10 * 1024 * 1024);
    expect(res.status).toBe(401);
    expect(res.connection).toBe('close');
  });

  it('answers 413 to an authenticated body over --body-limit', async () => {
    const { url } = await startSecured({ config: { bodyLimit: '1mb' } });
    const res = await postLarge(url, '/mcp', 10 * 1024 * 1024, bearer(TOKEN_A));
    expect(res.status).toBe(413);
  });
});

describe('header timeout (slowloris)', () => {
  it('cuts a connection whose headers arrive too slowly', async () => {
    const { running } = await startSecured({ config: { headersTimeoutSec: 1 } });
    const socket = connect(running.port, '127.0.0.1');
    closers.push(() => socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One more header byte every 100 ms, never finishing: the server must not wait for ever.
    const trickle = setInterval(() => socket.writable && socket.write('X'), 100);
    closers.push(() => clearInterval(trickle));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    await new Promise((resolve) => socket.once('close', resolve));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('concurrent tool calls', () => {
  function slowCnpg() {
    const release = deferred();
    const started: string[] = [];
    const deps = depsWithCnpg({
      list: async (_kind: string, namespace: string) => {
        started.push(namespace);
        await release.promise;
        return [fakeCluster(namespace, 'pg')];
      },
    });
    return { deps, started, release: () => release.resolve() };
  }

  it('refuses a tool call beyond --max-concurrent-calls with 503 and a JSON-RPC error, on every transport, and admits again once one finished', async () => {
    const slow = slowCnpg();
    const { url } = await startSecured({ deps: slow.deps, config: { maxConcurrentCalls: 1 } });
    const alice = await connectWithToken(url, TOKEN_A);
    closers.push(() => alice.client.close());
    const running = alice.client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: 'busy' } });
    await waitFor(() => slow.started.length === 1, 'the first call to start');

    // Streamable HTTP session.
    const session = await openRawSession(url, TOKEN_B);
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'list_postgres_clusters', arguments: {} } };
    const refused = await postMcp(url, call, { ...bearer(TOKEN_B), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Server busy: too many tool calls in progress, try again later' },
      id: 7,
    });
    // Other requests are not limited.
    expect(
      (
        await postMcp(
          url,
          { ...call, method: 'tools/list', params: {} },
          { ...bearer(TOKEN_B), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
        )
      ).status,
    ).toBe(200);

    // Legacy SSE.
    const sse = await SseClient.connect(url, 5000, bearer(TOKEN_B));
    closers.push(() => sse.close());
    await sse.initialize();
    const ssePost = await sse.post({ ...call, id: 8 });
    expect(ssePost.status).toBe(503);

    // 2026-07-28, session-less.
    const modern = await connectWithToken(url, TOKEN_B, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    closers.push(() => modern.client.close());
    await expect(modern.client.callTool({ name: 'list_postgres_clusters', arguments: {} })).rejects.toThrow(/503|busy/i);

    slow.release();
    expect((await running).isError).toBeFalsy();
    // The slot is free again.
    const again = await postMcp(url, { ...call, id: 9 }, { ...bearer(TOKEN_B), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    expect(again.status).toBe(200);
    await again.text();
  });

  it('frees a legacy SSE call slot when its answer goes out on the stream', async () => {
    const slow = slowCnpg();
    const { url } = await startSecured({ deps: slow.deps, config: { maxConcurrentCalls: 1 } });
    const sse = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => sse.close());
    await sse.initialize();
    const first = sse.request('tools/call', { name: 'list_postgres_clusters', arguments: {} });
    await waitFor(() => slow.started.length === 1, 'the call to start');
    slow.release();
    await first;
    const second = await sse.request('tools/call', { name: 'list_postgres_clusters', arguments: {} });
    expect(second.result).toBeDefined();
  });

  it('frees the slots of a session that ends with calls still running', async () => {
    const slow = slowCnpg();
    const { url, running } = await startSecured({ deps: slow.deps, config: { maxConcurrentCalls: 1 } });
    const sse = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    await sse.initialize();
    void sse.request('tools/call', { name: 'list_postgres_clusters', arguments: {} }).catch(() => undefined);
    await waitFor(() => slow.started.length === 1, 'the call to start');
    sse.close();
    await waitFor(() => running.handle.sessionCount() === 0, 'the session to end');
    await request(url).get('/healthz').expect(200);
    const session = await openRawSession(url, TOKEN_B);
    const res = await postMcp(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_cluster_status', arguments: { name: 'x' } } },
      { ...bearer(TOKEN_B), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    );
    expect(res.status).toBe(200);
    await res.text();
    slow.release();
  });
});
