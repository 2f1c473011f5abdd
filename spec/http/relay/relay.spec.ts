// Issue #6: with --redis-url any replica serves any session. Two replicas in this process share a
// real redis-server; the SDK's clients reach them through a round-robin fetch (a load balancer in
// one function), so consecutive requests of one session land on different replicas.
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../../src/sessions/principal.js';
import { decodeFrame, encodeFrame, type RelayRequest } from '../../../src/relay/codec.js';
import { replicaChannel, replicaKey, sessionKey } from '../../../src/relay/directory.js';
import { registry } from '../../../src/metrics.js';
import type { RunningHttpServer } from '../../../src/app/serve.js';
import { SseClient, readUntil } from '../../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../../test-support/http-server.js';
import { waitFor } from '../../../test-support/wait.js';
import { redisAvailable, useTestRedis } from '../../../test-support/redis.js';
import { TOKEN_A, TOKEN_B, bearer, openRawSession, postMcp, startSecured, type SecuredServer } from '../../security/support/server.js';

const clusterCnpg = () => depsWithCnpg({ get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name) });

/** A fetch that sends each request to the next of `bases`, whatever URL the client asked for. */
function roundRobin(bases: string[]): typeof fetch {
  let next = 0;
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const base = new URL(bases[next++ % bases.length]!);
    url.host = base.host;
    return fetch(url, init);
  };
}

async function relayCount(role: 'forwarded' | 'served', outcome?: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'cnpg_mcp_relay_requests_total');
  const values = (metric?.values ?? []) as { labels: Record<string, string>; value: number }[];
  return values.filter((v) => v.labels.role === role && (outcome === undefined || v.labels.outcome === outcome)).reduce((sum, v) => sum + v.value, 0);
}

const toolsList = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const sessionHeaders = (token: string, session: string) => ({ ...bearer(token), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });

describe.skipIf(!redisAvailable)('session relay between replicas (--redis-url) [needs redis-server]', () => {
  const { redis, admin } = useTestRedis();
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await stopAllServers();
  });

  const replicas = async (count = 2, timings = {}): Promise<SecuredServer[]> =>
    Promise.all(
      Array.from({ length: count }, () =>
        startSecured({ deps: clusterCnpg(), config: { redisUrl: redis().url, maxSessionsPerPrincipal: 0 }, options: { relayTimings: timings } }),
      ),
    );

  it('serves a Streamable HTTP session from either replica: initialize, tools/list and tool calls alternate between them', async () => {
    const [a, b] = await replicas();
    const forwardedBefore = await relayCount('forwarded', 'ok');
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', a!.url), {
      requestInit: { headers: bearer(TOKEN_A) },
      fetch: roundRobin([a!.url, b!.url]),
    });
    const client = new Client({ name: 'spec-relay', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBeGreaterThan(10);
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool({ name: 'get_cluster_status', arguments: { name: `pg-${i}`, namespace: 'team-a' } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ name: `pg-${i}`, namespace: 'team-a' });
    }
    // One replica holds the session; the other relayed its share of the requests.
    expect(a!.running.handle.sessionCount() + b!.running.handle.sessionCount()).toBe(1);
    expect(await relayCount('forwarded', 'ok')).toBeGreaterThan(forwardedBefore + 3);
    await transport.terminateSession();
    // DELETE went to one of them; the session is gone from both, and from the directory.
    await waitFor(() => a!.running.handle.sessionCount() + b!.running.handle.sessionCount() === 0, 'the session to end');
    await waitFor(async () => (await admin().keys('cnpg-mcp:session:*')).length === 0, 'the session record to be withdrawn');
  });

  it('relays a call that stays silent longer than 10 s (past the old head timeout) to its answer, not a 504: the owner starts it as a stream after one keep-alive interval', async () => {
    // The owner's API server takes 16 s to answer (a slow apiserver, a wait=true): the call sends
    // nothing until then. With the keep-alive at 11 s the owner turns the answer into a stream
    // between 11 and 13.75 s; a head timeout not past that cut it at 10 s with a 504.
    const slowCnpg = () =>
      depsWithCnpg({
        get: (_kind: string, namespace: string, name: string) => new Promise((resolve) => setTimeout(() => resolve(fakeCluster(namespace, name)), 16_000)),
      });
    const [a, b] = await Promise.all(
      [0, 1].map(() => startSecured({ deps: slowCnpg(), config: { redisUrl: redis().url, maxSessionsPerPrincipal: 0, keepaliveIntervalSec: 11 } })),
    );
    const session = await openRawSession(a!.url, TOKEN_A);
    const started = Date.now();
    const call = { jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 'get_cluster_status', arguments: { name: 'pg-slow', namespace: 'team-a' } } };
    const res = await postMcp(b!.url, call, sessionHeaders(TOKEN_A, session));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await readUntil(res.body!, '"id":21', 30_000);
    expect(Date.now() - started).toBeGreaterThan(10_000);
    expect(text).toContain('pg-slow');
    expect(text).not.toContain('"isError":true');
  }, 40_000);

  it('delivers the answer of a call relayed to a replica that drains: the owner lets answers already written reach the forwarding replica before it closes the relay', async () => {
    // A 1.5 s call whose session lives on A, sent to B. A drains meanwhile: the drain ends as soon
    // as the answer is written, and closing the relay then must not cut the answer on its way out.
    const slowCnpg = () =>
      depsWithCnpg({
        get: (_kind: string, namespace: string, name: string) => new Promise((resolve) => setTimeout(() => resolve(fakeCluster(namespace, name)), 1500)),
      });
    const [a, b] = await Promise.all([0, 1].map(() => startSecured({ deps: slowCnpg(), config: { redisUrl: redis().url, maxSessionsPerPrincipal: 0 } })));
    const session = await openRawSession(a!.url, TOKEN_A);
    const call = { jsonrpc: '2.0', id: 22, method: 'tools/call', params: { name: 'get_cluster_status', arguments: { name: 'pg-drain', namespace: 'team-a' } } };
    const answer = postMcp(b!.url, call, sessionHeaders(TOKEN_A, session));
    await waitFor(() => a!.running.handle.inflightRequests() === 1, 'the call to run on A');
    const drained = a!.running.handle.drain();
    const res = await answer;
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"id":22');
    expect(text).toContain('pg-drain');
    expect(await drained).toBe(true);
  });

  it('serves a legacy SSE session from either replica: POSTs to the other one are answered on the stream', async () => {
    const [a, b] = await replicas();
    const transport = new SSEClientTransport(new URL('/sse', a!.url), { requestInit: { headers: bearer(TOKEN_A) }, fetch: roundRobin([a!.url, b!.url]) });
    const client = new Client({ name: 'spec-relay-sse', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(transport);
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool({ name: 'get_cluster_status', arguments: { name: `pg-${i}`, namespace: 'team-b' } });
      expect(result.structuredContent).toMatchObject({ name: `pg-${i}`, namespace: 'team-b' });
    }
    expect(a!.running.handle.sessionCount()).toBe(1);
    expect(b!.running.handle.sessionCount()).toBe(0);
  });

  it('answers 202 on the replica that took a legacy POST, and audits it there with the caller as principal', async () => {
    const [a, b] = await replicas();
    const sse = await SseClient.connect(a!.url, 5000, bearer(TOKEN_A));
    closers.push(() => sse.close());
    const elsewhere = new URL(sse.endpoint.pathname + sse.endpoint.search, b!.url);
    const posted = await fetch(elsewhere, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKEN_A) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    });
    expect(posted.status).toBe(202);
    expect(await posted.text()).toBe('Accepted');
    await waitFor(() => sse.received.some((m) => m.id === 7), 'the ping answer on the stream of replica A');
    await waitFor(() => b!.audit.of('mcp_request').length > 0, 'the audit line on replica B');
    expect(b!.audit.of('mcp_request')[0]).toMatchObject({
      principal: tokenFingerprint(TOKEN_A),
      session: sse.sessionId,
      method: 'ping',
      status: 202,
      // What the answer on replica A's stream said (issue #12, item 20).
      outcome: 'ok',
    });
  });

  it('keeps sessions bound to their principal across replicas: another principal gets the same 404 as for an unknown session', async () => {
    const [a, b] = await replicas();
    const session = await openRawSession(a!.url, TOKEN_A);
    const stolen = await postMcp(b!.url, toolsList(2), sessionHeaders(TOKEN_B, session));
    const unknown = await postMcp(b!.url, toolsList(2), sessionHeaders(TOKEN_B, '00000000-0000-4000-8000-000000000000'));
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual(await unknown.json());
    const get = await fetch(`${b!.url}/mcp`, { headers: { ...sessionHeaders(TOKEN_B, session), accept: 'text/event-stream' } });
    expect(get.status).toBe(404);
    const del = await fetch(`${b!.url}/mcp`, { method: 'DELETE', headers: sessionHeaders(TOKEN_B, session) });
    expect(del.status).toBe(404);
    const sse = await SseClient.connect(a!.url, 5000, bearer(TOKEN_A));
    closers.push(() => sse.close());
    const post = await fetch(new URL(sse.endpoint.pathname + sse.endpoint.search, b!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKEN_B) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(post.status).toBe(404);
    expect(sse.received).toEqual([]);
    // The owner's principal still can, through either replica.
    expect((await postMcp(b!.url, toolsList(3), sessionHeaders(TOKEN_A, session))).status).toBe(200);
  });

  it('relays the GET stream and DELETE: the stream opened through B ends when the session is deleted through B', async () => {
    const [a, b] = await replicas();
    const session = await openRawSession(a!.url, TOKEN_A);
    const stream = await fetch(`${b!.url}/mcp`, { headers: { ...sessionHeaders(TOKEN_A, session), accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.headers.get('mcp-session-id')).toBe(session);
    const del = await fetch(`${b!.url}/mcp`, { method: 'DELETE', headers: sessionHeaders(TOKEN_A, session) });
    expect(del.status).toBe(200);
    expect(a!.running.handle.sessionCount()).toBe(0);
    await expect(stream.text()).resolves.toBe('');
    expect((await postMcp(b!.url, toolsList(4), sessionHeaders(TOKEN_A, session))).status).toBe(404);
  });

  it("frees the owner's stream when the client leaves a relayed GET stream: the next GET opens (no 409 Conflict)", async () => {
    const [a, b] = await replicas();
    const session = await openRawSession(a!.url, TOKEN_A);
    const openStream = (base: string, signal?: AbortSignal) =>
      fetch(`${base}/mcp`, { headers: { ...sessionHeaders(TOKEN_A, session), accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
    const leaving = new AbortController();
    expect((await openStream(b!.url, leaving.signal)).status).toBe(200);
    // One standalone stream per session: while it is held, another is refused.
    const second = await openStream(a!.url);
    expect(second.status).toBe(409);
    await second.text();
    leaving.abort();
    await waitFor(async () => a!.running.handle.relay!.inFlight.served === 0, 'the owner to drop the relayed stream');
    const again = await openStream(a!.url);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it('answers 404 for a session whose replica is gone, so that the client starts a new one', async () => {
    const [a, b] = await replicas();
    const session = await openRawSession(a!.url, TOKEN_A);
    // A crash, as far as the directory is concerned: the record stays, the replica does not answer.
    await a!.running.shutdown(AbortSignal.abort());
    await admin().set(
      sessionKey(session),
      JSON.stringify({ replica: a!.running.handle.relay!.replica, principal: `token:${tokenFingerprint(TOKEN_A)}`, kind: 'streamable' }),
    );
    const res = await postMcp(b!.url, toolsList(5), sessionHeaders(TOKEN_A, session));
    expect(res.status).toBe(404);
    expect((await res.json()).error).toEqual({ code: -32001, message: 'Session not found' });
  });

  it('answers 503 with Retry-After, not 404, while a Redis that restarted empty is rebuilt; the owner re-registers its session at once (#12 item 11)', {
    timeout: 40_000,
  }, async () => {
    // Its own deadlines are the two 10 s waits; the test's covers them plus two replicas' start on a loaded machine.
    const [a, b] = await replicas(2, { heartbeatTtlMs: 3000 });
    const session = await openRawSession(a!.url, TOKEN_A);
    expect(await admin().exists(sessionKey(session))).toBe(1);
    // A restart that kept nothing, as the replicas see it: every key gone, every connection cut.
    await admin().flushall();
    await admin().call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await admin().call('CLIENT', 'KILL', 'TYPE', 'normal');
    const statuses: number[] = [];
    let id = 100;
    await waitFor(
      async () => {
        const res = await postMcp(b!.url, toolsList(id++), sessionHeaders(TOKEN_A, session));
        statuses.push(res.status);
        if (res.status === 503) expect(res.headers.get('retry-after')).toBe('1');
        await res.text();
        return res.status === 200;
      },
      { what: 'the session to be served through the other replica again', timeoutMs: 10_000, intervalMs: 20 },
    );
    // Never the 404 that tells a client its session is gone.
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    // Re-registered on reconnect, long before the 30 s refresh would have.
    expect(await admin().exists(sessionKey(session))).toBe(1);
    // Once the directory is whole again, an unknown session is 404 as ever.
    await waitFor(async () => (await postMcp(b!.url, toolsList(id++), sessionHeaders(TOKEN_A, '00000000-0000-4000-8000-000000000000'))).status === 404, {
      what: 'an unknown session to be answered 404 after the rebuild window',
      timeoutMs: 10_000,
    });
  });

  describe('against an owner played by the spec', () => {
    const OWNER = '0f0f0f0f0f0f0f0f';
    let owner: Redis;
    let received: RelayRequest[];
    beforeEach(async () => {
      received = [];
      owner = new Redis(redis().url);
      closers.push(() => owner.disconnect());
      const subscriber = new Redis(redis().url);
      closers.push(() => subscriber.disconnect());
      subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
        const frame = decodeFrame(message);
        if (frame.type === 'request') received.push(frame);
      });
      await subscriber.subscribe(replicaChannel(OWNER));
      await owner.set(replicaKey(OWNER), '1', 'PX', 60_000);
    });
    const claim = (session: string, token = TOKEN_A) =>
      owner.set(sessionKey(session), JSON.stringify({ replica: OWNER, principal: `token:${tokenFingerprint(token)}`, kind: 'streamable' }));

    it('publishes the principal, the allowed headers and the body — never the token — and answers 504 when the owner does not answer in time', async () => {
      const [b] = await replicas(1, { headTimeoutMs: 300 });
      await claim('s-1');
      const started = Date.now();
      const res = await postMcp(b!.url, toolsList(9), { ...sessionHeaders(TOKEN_A, 's-1'), cookie: 'a=b' });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: { code: -32000 }, id: 9 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(received).toHaveLength(1);
      const [frame] = received;
      expect(frame).toMatchObject({
        kind: 'streamable',
        sessionId: 's-1',
        method: 'POST',
        principal: { key: `token:${tokenFingerprint(TOKEN_A)}`, method: 'token' },
      });
      expect(Object.keys(frame!.headers).sort()).toEqual(['accept', 'content-type', 'mcp-protocol-version', 'user-agent']);
      expect(JSON.parse(frame!.body!.toString())).toEqual(toolsList(9));
      expect(JSON.stringify(frame)).not.toContain(TOKEN_A);
      expect(JSON.stringify(await admin().mget(await admin().keys('cnpg-mcp:*')))).not.toContain(TOKEN_A);
    });

    it('streams what the owner answers, and cuts the stream when the owner loses its heartbeat', async () => {
      const [b] = await replicas(1, { heartbeatIntervalMs: 100 });
      await claim('s-2');
      const res = postMcp(b!.url, toolsList(10), sessionHeaders(TOKEN_A, 's-2'));
      await waitFor(() => received.length === 1, 'the relayed request');
      const reply = (frame: Parameters<typeof encodeFrame>[0]) => owner.publish(replicaChannel(received[0]!.from), encodeFrame(frame));
      const id = received[0]!.id;
      await reply({ type: 'head', id, status: 200, headers: { 'content-type': 'text/event-stream', 'mcp-session-id': 's-2' } });
      await reply({ type: 'chunk', id, data: Buffer.from('event: message\ndata: {"jsonrpc":"2.0","id":10,"result":{"tools":[]}}\n\n') });
      const answer = await res;
      expect(answer.status).toBe(200);
      expect(answer.headers.get('mcp-session-id')).toBe('s-2');
      await readUntil(answer.body!, '"id":10');
      await owner.del(replicaKey(OWNER));
      await expect(answer.body!.getReader().read()).rejects.toThrow();
    });

    it('ignores malformed frames on its channel and keeps relaying', async () => {
      const [b] = await replicas(1);
      const channel = replicaChannel(b!.running.handle.relay!.replica);
      await admin().publish(channel, 'garbage');
      await admin().publish(channel, '{"type":"request"}\n');
      await claim('s-3');
      const res = postMcp(b!.url, toolsList(11), sessionHeaders(TOKEN_A, 's-3'));
      await waitFor(() => received.length === 1, 'the relayed request');
      const { id, from } = received[0]!;
      await owner.publish(replicaChannel(from), encodeFrame({ type: 'head', id, status: 202, headers: {} }));
      await owner.publish(replicaChannel(from), encodeFrame({ type: 'end', id }));
      expect((await res).status).toBe(202);
    });
  });
});

describe('with --redis-url but Redis unreachable', () => {
  afterEach(() => stopAllServers());

  it('starts at once and serves each session on the replica holding it; another replica answers 503, not a false 404', async () => {
    const started = Date.now();
    const [a, b] = await Promise.all([0, 1].map(() => startSecured({ config: { redisUrl: 'redis://127.0.0.1:1' } })));
    expect(Date.now() - started).toBeLessThan(2500);
    const session = await openRawSession(a!.url, TOKEN_A);
    expect((await postMcp(a!.url, toolsList(2), sessionHeaders(TOKEN_A, session))).status).toBe(200);
    const elsewhere = await postMcp(b!.url, toolsList(3), sessionHeaders(TOKEN_A, session));
    expect(elsewhere.status).toBe(503);
    expect(elsewhere.headers.get('retry-after')).toBe('1');
    expect(await elsewhere.json()).toMatchObject({ error: { code: -32000 }, id: 3 });
  });
});

describe('without --redis-url', () => {
  afterEach(() => stopAllServers());

  it('has no relay: a session is served only by the replica that opened it', async () => {
    const [a, b]: RunningHttpServer[] = (await Promise.all([startSecured(), startSecured()])).map((s) => s.running);
    expect(a!.handle.relay).toBeUndefined();
    const session = await openRawSession(a!.url, TOKEN_A);
    expect((await postMcp(b!.url, toolsList(2), sessionHeaders(TOKEN_A, session))).status).toBe(404);
    expect((await postMcp(a!.url, toolsList(2), sessionHeaders(TOKEN_A, session))).status).toBe(200);
  });
});
