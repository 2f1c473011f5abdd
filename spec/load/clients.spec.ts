// The harness's clients and closed loop against small in-process servers on 127.0.0.1 that speak
// the three wire formats, including the failure cases the harness exists to count.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportName } from '../../load/lib/clients.js';
import { assertLoopback } from '../../load/lib/http.js';
import { runClosedLoop, type LoadTarget } from '../../load/lib/runner.js';

type Rpc = { jsonrpc: '2.0'; id?: number; method: string; params?: { name?: string } };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

function readJson(req: IncomingMessage): Promise<Rpc> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(JSON.parse(body) as Rpc));
  });
}

/** The answer a tool call gets: `broken` is a tool error, everything else succeeds. */
function answer(message: Rpc): object {
  if (message.method === 'tools/list') return { jsonrpc: '2.0', id: message.id, result: { tools: [{ name: 'get_cluster_status' }] } };
  const isError = message.params?.name === 'broken';
  return { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: isError ? 'boom' : 'ok' }], ...(isError ? { isError } : {}) } };
}

/** Writes `text` in two pieces split at a random point, as TCP may deliver it. */
function writeSplit(res: ServerResponse, text: string): void {
  const at = 1 + Math.floor(Math.random() * (text.length - 1));
  res.write(text.slice(0, at));
  res.write(text.slice(at));
}

/** One server for all three transports; `silent` tool calls are never answered. */
async function fakeMcpServer(): Promise<LoadTarget> {
  const streams = new Map<string, ServerResponse>();
  let nextSession = 1;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const id = String(nextSession++);
      streams.set(id, res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeSplit(res, `event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
      return;
    }
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    const message = await readJson(req);
    const silent = message.params?.name === 'silent';
    if (url.pathname === '/messages') {
      res.writeHead(202).end('Accepted');
      const stream = streams.get(url.searchParams.get('sessionId')!);
      if (message.id !== undefined && !silent) writeSplit(stream!, `event: message\ndata: ${JSON.stringify(answer(message))}\n\n`);
      return;
    }
    if (message.id === undefined) return void res.writeHead(202).end();
    if (silent) return; // never answered: the harness must call it lost, not wait forever
    if (req.headers['mcp-protocol-version'] === '2026-07-28') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(message)));
      return;
    }
    // Streamable HTTP with sessions: an SSE answer with the SDK's priming event first.
    const headers: Record<string, string> = { 'content-type': 'text/event-stream' };
    if (message.method === 'initialize') headers['mcp-session-id'] = `s-${nextSession++}`;
    res.writeHead(200, headers);
    writeSplit(res, `id: p_1\ndata: \n\nevent: message\nid: p_2\ndata: ${JSON.stringify(answer(message))}\n\n`);
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { http: { origin: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) }, pid: process.pid };
}

const run = (target: LoadTarget, transport: TransportName, tool = 'get_cluster_status', deadlineMs = 5000) =>
  runClosedLoop(target, {
    name: `spec-${transport}`,
    transport,
    clients: 3,
    durationMs: 300,
    warmupMs: 0,
    callsPerSession: 5,
    tool: { name: tool, args: { name: 'pg' } },
    deadlineMs,
  });

describe('the closed loop over each transport', () => {
  for (const transport of ['legacy-sse', 'streamable-session', 'streamable-sessionless'] as TransportName[]) {
    it(`${transport}: sessions of 5 calls, answers matched by id, nothing lost`, async () => {
      const result = await run(await fakeMcpServer(), transport);
      expect(result).toMatchObject({ transport, clients: 3, errors: 0, lost: 0 });
      expect(result.calls).toBeGreaterThan(10);
      expect(result.p99_ms).toBeGreaterThan(0);
      expect(result.p50_ms).toBeLessThanOrEqual(result.p99_ms);
      expect(result.cpu_us_per_call).not.toBeNull(); // this process stands in for the server
    });
  }

  it('counts a tool result with isError as an error', async () => {
    const result = await run(await fakeMcpServer(), 'streamable-session', 'broken');
    expect(result.errors).toBeGreaterThan(0);
    expect(result.calls).toBe(0);
    expect(result.error_samples?.[0]).toMatch(/^tool: tools\/call: tool error: boom/);
  });

  for (const transport of ['legacy-sse', 'streamable-session'] as TransportName[]) {
    it(`${transport}: counts a response that never comes as lost, and stops anyway`, async () => {
      const startedAt = performance.now();
      const result = await run(await fakeMcpServer(), transport, 'silent', 150);
      expect(result.lost).toBeGreaterThanOrEqual(3);
      expect(result.errors).toBe(0);
      expect(result.error_samples?.[0]).toMatch(/^lost: /);
      expect(performance.now() - startedAt).toBeLessThan(3000);
    });
  }
});

describe('assertLoopback', () => {
  it('lets load reach this machine only', () => {
    for (const ok of ['http://127.0.0.1:1', 'http://127.9.8.7:1', 'http://localhost:1', 'http://[::1]:1'])
      expect(() => assertLoopback(new URL(ok)), ok).not.toThrow();
    for (const bad of ['http://10.0.0.1:1', 'http://192.168.1.2', 'http://example.com', 'http://[::2]:1', 'http://0.0.0.0:1'])
      expect(() => assertLoopback(new URL(bad)), bad).toThrow(/loopback/);
  });
});
