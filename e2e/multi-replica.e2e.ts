// Issue #6: two replicas behind nginx (round robin, TLS, the documented deploy/nginx/cnpg-mcp.conf)
// sharing a redis-server, against the real API server. Consecutive requests of one session land
// on either replica; the relay makes that work for legacy SSE and Streamable HTTP sessions alike:
//  - 20 legacy SSE and 20 Streamable HTTP clients each run initialize → tools/list → 10 tool calls
//    concurrently, and every answer names the cluster its call asked for;
//  - with one replica killed (SIGKILL) mid-run, its clients start new sessions through the other
//    and all finish.
// The relay is proven in use by the replicas' own counters and by nginx's access log (one session,
// two upstreams).
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { customObjects } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';
import { fetchTrusting, nginxAvailable, startNginx, type Nginx } from './helpers/replicas.js';
import { createTestCa } from '../test-support/pki.js';
import { redisAvailable, startRedis, type TestRedis } from '../test-support/redis.js';
import { startServerProcess, type ServerProcess } from '../test-support/server-process.js';

const TOKEN = 'e2e-only-token-multi-replica-0123456789';
const CLIENTS_PER_TRANSPORT = 20;
const CALLS_PER_CLIENT = 10;
const CLUSTERS = ['pg-relay-a', 'pg-relay-b', 'pg-relay-c', 'pg-relay-d', 'pg-relay-e'];
// A call whose answer was lost with a killed replica gives up after this and starts over.
const CALL_TIMEOUT_MS = 8000;

type Kind = 'sse' | 'streamable';

interface ClientRun {
  kind: Kind;
  calls: number;
  reconnects: number;
  sessions: string[];
}

const missing = [redisAvailable ? '' : 'redis-server', nginxAvailable ? '' : 'nginx'].filter(Boolean);

describe.skipIf(missing.length > 0)(
  `two replicas behind nginx, sessions relayed through Redis${missing.length ? ` [needs ${missing.join(' and ')}]` : ''}`,
  () => {
    let ns: string;
    let redis: TestRedis;
    let replicas: ServerProcess[] = [];
    let nginx: Nginx;
    let trusting: ReturnType<typeof fetchTrusting>;

    beforeAll(async () => {
      const ca = await createTestCa();
      trusting = fetchTrusting(ca.certPem);
      const [namespace, started] = await Promise.all([createTestNamespace('multi-replica'), startRedis()]);
      ns = namespace;
      redis = started;
      // Read, never run: with reconciliation off no PostgreSQL starts, so on a node the load test
      // does not share the two cores with five initdb runs.
      await Promise.all(
        CLUSTERS.map((name) =>
          customObjects(e2eKubeConfig()).create('Cluster', ns, {
            metadata: { name, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
            spec: { instances: 1, storage: { size: '1Gi' } },
          }),
        ),
      );
      const args = [
        '--redis-url',
        redis.url,
        '--rate-limit-per-minute',
        '0',
        '--max-sessions-per-principal',
        '0',
        '--trust-proxy',
        'loopback',
        '--namespace',
        ns,
        '--log-level',
        'info',
      ];
      replicas = await Promise.all([0, 1].map(() => startServerProcess({ kubeconfigPath: inject('kubeconfigPath'), args, env: { AUTH_TOKENS: TOKEN } })));
      for (const replica of replicas) expect(replica.log()).toContain('session relay ready');
      nginx = await startNginx(
        replicas.map((r) => r.url.host),
        ca,
        trusting.fetch,
      );
    });

    afterAll(async () => {
      await Promise.allSettled([nginx?.stop(), ...replicas.map((r) => r.kill())]);
      await redis?.stop();
      await trusting?.close();
      if (ns) await deleteTestNamespace(ns);
    });

    /** One SDK client through nginx; on any transport error it closes, so pending calls fail at once. */
    async function connect(kind: Kind): Promise<{ client: Client; sessionId: () => string | undefined }> {
      const options = { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } }, fetch: trusting.fetch };
      const client = new Client({ name: `e2e-${kind}`, version: '1.0.0' });
      if (kind === 'sse') {
        const transport = new SSEClientTransport(new URL('/sse', nginx.url), options);
        client.onerror = () => void client.close();
        await client.connect(transport);
        // A new SSEClientTransport always opens a new stream, hence a new session; it does not expose the id.
        return { client, sessionId: () => undefined };
      }
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', nginx.url), {
        ...options,
        reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 1 },
      });
      client.onerror = () => void client.close();
      await client.connect(transport);
      return { client, sessionId: () => transport.sessionId };
    }

    /** initialize → tools/list → CALLS_PER_CLIENT get_cluster_status calls; starts a new session whenever one fails. */
    async function runClient(kind: Kind, index: number, progress: { calls: number }): Promise<ClientRun> {
      const run: ClientRun = { kind, calls: 0, reconnects: 0, sessions: [] };
      const deadline = Date.now() + 60_000;
      let session: Awaited<ReturnType<typeof connect>> | undefined;
      while (run.calls < CALLS_PER_CLIENT) {
        if (Date.now() > deadline) throw new Error(`${kind} client ${index} did not finish: ${JSON.stringify(run)}`);
        try {
          if (!session) {
            session = await connect(kind);
            const id = session.sessionId();
            if (id) run.sessions.push(id);
            const { tools } = await session.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
            expect(tools.map((t) => t.name)).toContain('get_cluster_status');
          }
          const name = CLUSTERS[(index + run.calls) % CLUSTERS.length]!;
          const result = await session.client.callTool({ name: 'get_cluster_status', arguments: { name } }, { timeout: CALL_TIMEOUT_MS });
          expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
          // The answer is the one to this call: a misrouted answer would name another cluster.
          expect(result.structuredContent).toMatchObject({ name, namespace: ns });
          run.calls++;
          progress.calls++;
        } catch (err) {
          if ((err as { name?: string }).name === 'AssertionError') throw err;
          run.reconnects++;
          await session?.client.close().catch(() => undefined);
          session = undefined;
        }
      }
      await session?.client.close().catch(() => undefined);
      return run;
    }

    const runAll = (progress: { calls: number }) =>
      Promise.all([
        ...Array.from({ length: CLIENTS_PER_TRANSPORT }, (_, i) => runClient('sse', i, progress)),
        ...Array.from({ length: CLIENTS_PER_TRANSPORT }, (_, i) => runClient('streamable', i, progress)),
      ]);

    /** Sum of the samples of `metric` whose labels contain every one of `labels`, scraped from a replica's /metrics with the token. */
    async function scrape(replica: ServerProcess, metric: string, labels: string[] = []): Promise<number> {
      const text = await (await fetch(`${replica.url.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      return text
        .split('\n')
        .filter((line) => (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) && labels.every((l) => line.includes(l)))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    }

    type Outcomes = Record<string, Record<string, number>>;
    /** cnpg_mcp_relay_requests_total of a replica as role → outcome → count (both transports together). */
    async function relayOutcomes(replica: ServerProcess): Promise<Outcomes> {
      const text = await (await fetch(`${replica.url.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      const counts: Outcomes = {};
      for (const line of text.split('\n')) {
        const match = /^cnpg_mcp_relay_requests_total\{role="(\w+)",transport="\w+",outcome="(\w+)"\} (\d+)$/.exec(line);
        if (!match) continue;
        const [, role, outcome, value] = match as unknown as [string, string, string, string];
        counts[role] = { ...counts[role], [outcome]: (counts[role]?.[outcome] ?? 0) + Number(value) };
      }
      return counts;
    }

    it('serves 20 legacy SSE and 20 Streamable HTTP clients through round-robin nginx: every answer reaches its call', async () => {
      const progress = { calls: 0 };
      const started = Date.now();
      const runs = await runAll(progress);
      const elapsedMs = Date.now() - started;
      expect(runs.map((r) => r.calls)).toEqual(Array(2 * CLIENTS_PER_TRANSPORT).fill(CALLS_PER_CLIENT));
      // Nothing lost, nothing timed out: no client had to start over.
      expect(runs.map((r) => r.reconnects)).toEqual(Array(2 * CLIENTS_PER_TRANSPORT).fill(0));

      // The relay carried a share of the traffic, both ways. Every relayed request was served by
      // the owner, and ended on both sides: answered (ok), or
      // left by the client once it had its answer — a legacy POST's 202 can come after the answer
      // on the stream, a Streamable HTTP client may drop a POST stream after its response, and a
      // GET stream is ended by the client (client_gone where it was forwarded, cancelled on its owner).
      // The end of the last answers may still be on its way: wait for the counts to settle.
      const settled = await waitFor(
        async () => {
          const [a, b] = (await Promise.all(replicas.map((r) => relayOutcomes(r)))) as [Outcomes, Outcomes];
          const total = (role: string) => [a, b].flatMap((counts) => Object.values(counts[role] ?? {})).reduce((x, y) => x + y, 0);
          return total('forwarded') === total('served') && { a, b };
        },
        { what: 'every relayed request to have ended on both sides', timeoutMs: 5000, intervalMs: 50 },
      );
      for (const counts of [settled.a, settled.b]) {
        expect(Object.keys(counts.forwarded ?? {}).filter((o) => o !== 'ok' && o !== 'client_gone')).toEqual([]);
        expect(Object.keys(counts.served ?? {}).filter((o) => o !== 'ok' && o !== 'cancelled')).toEqual([]);
        // Both replicas forwarded requests for sessions the other one holds.
        expect(counts.forwarded?.ok ?? 0).toBeGreaterThan(0);
      }
      const forwardedOk = (settled.a.forwarded?.ok ?? 0) + (settled.b.forwarded?.ok ?? 0);
      // nginx saw requests of one session go to both replicas.
      const upstreamsBySession = new Map<string, Set<string>>();
      for (const line of await nginx.accessLog()) {
        // nginx logs an empty variable as "-".
        const session = [/mcp_session=(\S+)/.exec(line)?.[1], /sse_session=(\S+)/.exec(line)?.[1]].find((s) => s && s !== '-');
        const upstream = /upstream=(\S+)/.exec(line)?.[1];
        if (!session || !upstream) continue;
        upstreamsBySession.set(session, (upstreamsBySession.get(session) ?? new Set()).add(upstream));
      }
      const spread = [...upstreamsBySession.values()].filter((upstreams) => upstreams.size > 1).length;
      expect(spread).toBeGreaterThan(CLIENTS_PER_TRANSPORT);
      const firstFrame = await Promise.all(
        replicas.flatMap((r) => [scrape(r, 'cnpg_mcp_relay_first_frame_seconds_sum'), scrape(r, 'cnpg_mcp_relay_first_frame_seconds_count')]),
      );
      const meanFirstFrameMs = ((firstFrame[0]! + firstFrame[2]!) / (firstFrame[1]! + firstFrame[3]!)) * 1000;
      console.log(
        `[multi-replica] ${2 * CLIENTS_PER_TRANSPORT} clients × ${CALLS_PER_CLIENT} calls in ${elapsedMs} ms; relayed requests answered: ${forwardedOk} ` +
          `(of ${progress.calls} calls plus the other requests), mean time to the owner's first frame ${meanFirstFrameMs.toFixed(2)} ms; ` +
          `sessions whose requests reached both replicas: ${spread}/${upstreamsBySession.size}`,
      );
    });

    it('survives a replica killed mid-run: its clients start new sessions through the other one and all finish', async () => {
      const progress = { calls: 0 };
      const total = 2 * CLIENTS_PER_TRANSPORT * CALLS_PER_CLIENT;
      const running = runAll(progress);
      await waitFor(() => progress.calls >= total / 4, { what: 'a quarter of the calls to be answered', timeoutMs: 30_000, intervalMs: 10 });
      const victim = replicas[0]!;
      await victim.kill();
      const killedAt = Date.now();
      const runs = await running;
      const recoveryMs = Date.now() - killedAt;
      expect(runs.map((r) => r.calls)).toEqual(Array(2 * CLIENTS_PER_TRANSPORT).fill(CALLS_PER_CLIENT));
      const reconnects = runs.reduce((sum, r) => sum + r.reconnects, 0);
      expect(reconnects).toBeGreaterThan(0);
      // Every Streamable HTTP client that started over did so with a new session id.
      for (const run of runs.filter((r) => r.kind === 'streamable')) expect(new Set(run.sessions).size).toBe(run.sessions.length);
      console.log(
        `[multi-replica] after SIGKILL of one replica: ${reconnects} reconnects over ${runs.filter((r) => r.reconnects > 0).length} clients, ` +
          `all ${runs.length} finished ${recoveryMs} ms after the kill`,
      );
    });
  },
);
