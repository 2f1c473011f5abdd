// npx tsx load/call-cpu.ts [--calls 2000] [--rounds 5] [--inflight 4] [--only session,sessionless,echo]
//
// CPU per get_cluster_status call of the whole process (server in-process over a fake CNPG
// boundary, client on node:http keep-alive sockets), for Streamable HTTP with a session, the
// session-less 2026-07-28 revision, and a bare node:http JSON echo served and driven the same way.
// process.cpuUsage() counts CPU time, not calls per wall-clock second, so a before/after is
// usable on a machine too busy for the benchmark's ratios; rounds alternate the scenarios so
// each round of one meets the same load as the others, and the medians are reported with each
// scenario's median ÷ the echo's (the client's own cost is in both, so the ratios read lower than
// the benchmark's server-only ones). Profile one with
//   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx load/call-cpu.ts --only sessionless
// and `npx tsx load/profile-summary.ts /tmp/prof/<file> --calls <calls × rounds>`.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../test-support/http-server.js';
import { keepAliveAgent, readBody, startRequest, type HttpTarget } from './lib/http.js';

const SCENARIOS = ['echo', 'session', 'sessionless'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    inflight: { type: 'string', default: '4' },
    only: { type: 'string', default: SCENARIOS.join(',') },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const inflight = Number(values.inflight);
const only = values.only.split(',') as Scenario[];
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (${SCENARIOS.join(', ')})`);

const ARGS = { namespace: 'default', name: 'bench-pg' };
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const mcp = await startServer(depsWithCnpg({ get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name) }), {
  rateLimitPerMinute: 0,
  maxSessions: 1000,
});
const echo = createHttpServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const message = JSON.parse(body) as { id: unknown; params: unknown };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: message.params }));
  });
});
await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
const mcpTarget: HttpTarget = { origin: new URL(mcp.url) };
const echoTarget: HttpTarget = { origin: new URL(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`) };
const agent = keepAliveAgent(inflight);

async function post(
  target: HttpTarget,
  headers: Record<string, string>,
  message: object,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await startRequest(target, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(message), agent })
    .response;
  return { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) };
}

function expectResult(what: string, answer: { status: number; body: string }): void {
  if (answer.status !== 200 || !answer.body.includes('"result"') || answer.body.includes('"isError":true'))
    throw new Error(`${what}: ${answer.status} ${answer.body.slice(0, 300)}`);
}

/** A function making one call of the scenario (a session is opened once, before any measuring). */
async function caller(scenario: Scenario): Promise<() => Promise<void>> {
  if (scenario === 'echo') {
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_cluster_status', arguments: ARGS } };
    return async () => expectResult('echo', await post(echoTarget, {}, message));
  }
  if (scenario === 'sessionless') {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'cpu', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_cluster_status', arguments: ARGS, _meta: meta } };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_cluster_status' };
    return async () => expectResult('session-less call', await post(mcpTarget, headers, message));
  }
  const init = await post(
    mcpTarget,
    {},
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cpu', version: '1' } },
    },
  );
  expectResult('initialize', init);
  const session = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  const initialized = await post(mcpTarget, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status}`);
  let id = 1;
  return async () =>
    expectResult(
      'session call',
      await post(mcpTarget, session, { jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'get_cluster_status', arguments: ARGS } }),
    );
}

/** `count` calls, `inflight` at a time; CPU µs per call of this process over them. */
async function measure(call: () => Promise<void>, count: number): Promise<number> {
  let left = count;
  const start = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (left-- > 0) await call();
    }),
  );
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const callers = new Map<Scenario, () => Promise<void>>();
for (const s of only) {
  const call = await caller(s);
  await measure(call, Math.min(500, calls)); // warm-up: JIT, the SDK's lazily built schemas
  callers.set(s, call);
}
const figures = new Map<Scenario, number[]>(only.map((s) => [s, []]));
for (let round = 0; round < rounds; round++) for (const s of only) figures.get(s)!.push(await measure(callers.get(s)!, calls));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const echoMedian = figures.has('echo') ? median(figures.get('echo')!) : undefined;
for (const [s, xs] of figures) {
  const m = median(xs);
  const ratio = echoMedian && s !== 'echo' ? `, ${(m / echoMedian).toFixed(2)} × echo's` : '';
  process.stdout.write(
    `${s.padEnd(12)} ${Math.round(m)} µs of CPU per call (median of ${rounds} × ${calls}; rounds ${xs.map(Math.round).join(' ')})${ratio}\n`,
  );
}
agent.destroy();
echo.close();
echo.closeAllConnections();
await stopAllServers();
process.exit(0);
