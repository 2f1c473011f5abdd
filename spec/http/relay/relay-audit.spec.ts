// Issue #12, item 20, for relayed requests: the replica that took the POST writes its one audit
// line (the replica holding the session runs it through unguarded routes, and writes none), and
// that line carries what the answer said on the other replica — tool_error, rpc_error, ok — or
// `closed` when a legacy SSE answer never came. Two replicas in this process, a real redis-server.
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../../test-support/http-server.js';
import { waitFor } from '../../../test-support/wait.js';
import { redisAvailable, useTestRedis } from '../../../test-support/redis.js';
import { TOKEN_A, bearer, openRawSession, postMcp, startSecured, type SecuredServer } from '../../security/support/server.js';

// A get of the cluster named `stuck` never answers (a call still running when its stream goes).
const cnpg = () =>
  depsWithCnpg({
    list: async (_kind: string, namespace: string) => [fakeCluster(namespace, 'pg')],
    get: (_kind: string, namespace: string, name: string) => (name === 'stuck' ? new Promise(() => {}) : Promise.resolve(fakeCluster(namespace, name))),
  });

const call = (id: number | string, args: Record<string, unknown>, name = 'list_postgres_clusters') => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
// An unknown argument: the tool answers isError and changes nothing (issue #12, item 1).
const bad = { namespace: 'team-a', nmespace: 'x' };
const good = { namespace: 'team-a' };
const sessionHeaders = (session: string) => ({ ...bearer(TOKEN_A), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });

describe.skipIf(!redisAvailable)('audit outcome of relayed requests (#12 item 20) [needs redis-server]', () => {
  const { redis } = useTestRedis();
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await stopAllServers();
  });

  const replicas = (): Promise<SecuredServer[]> =>
    Promise.all([0, 1].map(() => startSecured({ deps: cnpg(), config: { redisUrl: redis().url, maxSessionsPerPrincipal: 0 } })));
  const lineOf = (server: SecuredServer, rpcId: unknown) =>
    waitFor(() => server.audit.of('mcp_request').find((r) => r.rpcId === rpcId), `the audit line of request ${String(rpcId)}`);
  const linesFor = (server: SecuredServer, rpcId: unknown) => server.audit.of('mcp_request').filter((r) => r.rpcId === rpcId);

  it('Streamable HTTP: the relaying replica records the tool error and the success it relayed, the owner records nothing', async () => {
    const [a, b] = await replicas();
    const session = await openRawSession(a!.url, TOKEN_A);
    const failed = await postMcp(b!.url, call(11, bad), sessionHeaders(session));
    expect(failed.status).toBe(200);
    expect(await failed.text()).toContain('"isError":true');
    const succeeded = await postMcp(b!.url, call(12, good), sessionHeaders(session));
    expect(succeeded.status).toBe(200);
    await succeeded.text();
    expect(await lineOf(b!, 11)).toMatchObject({ session, tool: 'list_postgres_clusters', status: 200, outcome: 'tool_error' });
    expect(await lineOf(b!, 12)).toMatchObject({ session, status: 200, outcome: 'ok' });
    expect([...linesFor(a!, 11), ...linesFor(a!, 12)]).toEqual([]);
  });

  it('legacy SSE: a POST relayed to the stream’s replica is answered 202 and recorded once, with the tool error, the JSON-RPC error or ok', async () => {
    const [a, b] = await replicas();
    const sse = await SseClient.connect(a!.url, 5000, bearer(TOKEN_A));
    closers.push(() => sse.close());
    await sse.initialize();
    const elsewhere = new URL(sse.endpoint.pathname + sse.endpoint.search, b!.url);
    const post = (body: unknown) =>
      fetch(elsewhere, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(TOKEN_A) }, body: JSON.stringify(body) });
    for (const body of [call(21, bad), call(22, good), { jsonrpc: '2.0', id: 23, method: 'no/such/method' }]) {
      const posted = await post(body);
      expect(posted.status).toBe(202);
      await posted.text();
    }
    await waitFor(() => [21, 22, 23].every((id) => sse.received.some((m) => m.id === id)), 'the three answers on the stream of replica A');
    expect(await lineOf(b!, 21)).toMatchObject({ session: sse.sessionId, transport: 'sse', status: 202, outcome: 'tool_error' });
    expect(await lineOf(b!, 22)).toMatchObject({ status: 202, outcome: 'ok' });
    expect(await lineOf(b!, 23)).toMatchObject({ method: 'no/such/method', status: 202, outcome: 'rpc_error' });
    expect([21, 22, 23].flatMap((id) => linesFor(a!, id))).toEqual([]);
    expect([21, 22, 23].flatMap((id) => linesFor(b!, id))).toHaveLength(3);
  });

  it('legacy SSE: a relayed call whose stream closes before its answer is recorded as closed', async () => {
    const [a, b] = await replicas();
    const sse = await SseClient.connect(a!.url, 5000, bearer(TOKEN_A));
    closers.push(() => sse.close());
    await sse.initialize();
    const elsewhere = new URL(sse.endpoint.pathname + sse.endpoint.search, b!.url);
    const posted = await fetch(elsewhere, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKEN_A) },
      body: JSON.stringify(call('stuck', { name: 'stuck', namespace: 'team-a' }, 'get_cluster_status')),
    });
    expect(posted.status).toBe(202);
    await posted.text();
    // The answer is awaited: no line yet, until the stream (and with it the session) is gone.
    await waitFor(() => a!.running.handle.sessionCount() === 1, 'the session on replica A');
    expect(linesFor(b!, 'stuck')).toEqual([]);
    sse.close();
    expect(await lineOf(b!, 'stuck')).toMatchObject({ tool: 'get_cluster_status', status: 202, outcome: 'closed' });
  });
});
