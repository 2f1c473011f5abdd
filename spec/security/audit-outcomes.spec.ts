// Issue #12, item 20, for every transport: the audit line's outcome is what the answer said — a
// tool that reports isError is a `tool_error` (answered with HTTP 200, or 202 on legacy SSE), a
// JSON-RPC error an `rpc_error` — not the HTTP status. Legacy SSE POSTs are answered 202 and their
// answer goes out on the stream: their line waits for it (or says `closed` when it never comes).
// Session-less (2026-07-28) requests are answered by the SDK's per-request handler. Both with the
// SDK's real clients (and a raw legacy client where a request must be shaped by hand).
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { TOKEN_A, bearer, startSecured, type AuditCapture } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

// Lists answer at once; a get of the cluster named `stuck` never answers (a call still running).
const cnpg = () =>
  depsWithCnpg({
    list: async (_kind: string, namespace: string) => [fakeCluster(namespace, 'pg')],
    get: (_kind: string, namespace: string, name: string) => (name === 'stuck' ? new Promise(() => {}) : Promise.resolve(fakeCluster(namespace, name))),
  });

const good = { name: 'list_postgres_clusters', arguments: { namespace: 'team-a' } };
// An unknown argument: the tool answers isError and changes nothing (issue #12, item 1).
const bad = { name: 'list_postgres_clusters', arguments: { namespace: 'team-a', nmespace: 'x' } };

/** The audit lines of tools/call (and other requests) on `transport`, once there are `count`. */
function linesOf(audit: AuditCapture, count: number, match: (r: Record<string, unknown>) => boolean, what: string) {
  return waitFor(() => {
    const lines = audit.of('mcp_request').filter(match);
    return lines.length >= count ? lines : undefined;
  }, what);
}

describe('audit outcome follows the answer, not the HTTP status (#12 item 20)', () => {
  it('legacy SSE (the SDK client): a tool error is tool_error and a success ok, both 202, with the duration up to the answer', async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const client = new Client({ name: 'spec-audit-sse', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(
      new SSEClientTransport(new URL('/sse', url), {
        requestInit: { headers: bearer(TOKEN_A) },
        eventSourceInit: { fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...bearer(TOKEN_A) } }) },
      }),
    );
    expect((await client.callTool(bad)).isError).toBe(true);
    expect((await client.callTool(good)).isError).toBeFalsy();
    const calls = await linesOf(audit, 2, (r) => r.transport === 'sse' && r.method === 'tools/call', 'two legacy tools/call lines');
    expect(calls.map((r) => [r.httpMethod, r.status, r.outcome])).toEqual([
      ['POST', 202, 'tool_error'],
      ['POST', 202, 'ok'],
    ]);
    for (const line of calls) expect(line.durationMs).toEqual(expect.any(Number));
    // The notification has no answer to wait for: it stays `accepted`.
    const notification = audit.of('mcp_request').find((r) => r.transport === 'sse' && r.method === 'notifications/initialized');
    expect(notification).toMatchObject({ status: 202, outcome: 'accepted' });
  });

  it('legacy SSE: a JSON-RPC error is rpc_error; a call whose stream closes before its answer is closed', async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const client = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => client.close());
    await client.initialize();
    const unknown = await client.request('no/such/method', {}, 'unknown-method');
    expect(unknown.error?.code).toBe(-32601);
    const posted = await client.post({
      jsonrpc: '2.0',
      id: 'stuck-call',
      method: 'tools/call',
      params: { name: 'get_cluster_status', arguments: { name: 'stuck', namespace: 'team-a' } },
    });
    expect(posted.status).toBe(202);
    // Nothing is written for the running call yet: its line waits for the answer.
    const [rpc] = await linesOf(audit, 1, (r) => r.rpcId === 'unknown-method', 'the unknown method line');
    expect(rpc).toMatchObject({ status: 202, outcome: 'rpc_error' });
    expect(audit.of('mcp_request').find((r) => r.rpcId === 'stuck-call')).toBeUndefined();
    client.close();
    const [stuck] = await linesOf(audit, 1, (r) => r.rpcId === 'stuck-call', 'the line of the call cut by the closed stream');
    expect(stuck).toMatchObject({ status: 202, outcome: 'closed', tool: 'get_cluster_status' });
  });

  it('session-less 2026-07-28 (the SDK client pinned to it): tool_error and ok, answered 200', async () => {
    const { url, audit } = await startSecured({ deps: cnpg() });
    const client = new Client({ name: 'spec-audit-sessionless', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    closers.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: bearer(TOKEN_A) } }));
    expect((await client.callTool(bad)).isError).toBe(true);
    expect((await client.callTool(good)).isError).toBeFalsy();
    const calls = await linesOf(audit, 2, (r) => r.method === 'tools/call', 'two session-less tools/call lines');
    expect(calls.map((r) => [r.transport, r.session, r.status, r.outcome])).toEqual([
      ['streamable', undefined, 200, 'tool_error'],
      ['streamable', undefined, 200, 'ok'],
    ]);
  });
});
