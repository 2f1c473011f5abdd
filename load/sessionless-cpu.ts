// npx tsx load/sessionless-cpu.ts [--calls 3000]
//
// CPU per session-less (2026-07-28) tools/call of the whole process, server in-process, one
// client posting sequentially: process.cpuUsage() over the calls after a warm-up. Unlike the
// closed-loop benchmark this counts CPU time, not calls per wall-clock second, so it is usable for
// a before/after comparison on a machine too busy for the benchmark's ratios (docs/benchmarks.md).
import { parseArgs } from 'node:util';
import { depsWithCnpg, fakeCluster, startServer, stopAllServers } from '../test-support/http-server.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '3000' } } });
const calls = Number(values.calls);
const { url } = await startServer(depsWithCnpg({ get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name) }), {
  rateLimitPerMinute: 0,
});
const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'cpu', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'get_cluster_status', arguments: { namespace: 'default', name: 'bench-pg' }, _meta: meta },
});
const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'get_cluster_status',
};
const call = async () => {
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"result"')) throw new Error(`${res.status}: ${text.slice(0, 300)}`);
};
for (let i = 0; i < 300; i++) await call();
const start = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < calls; i++) await call();
const used = process.cpuUsage(start);
const wall = performance.now() - t0;
process.stdout.write(
  `${calls} session-less tools/call: ${Math.round((used.user + used.system) / calls)} µs of CPU per call (server and client in one process), ${(wall / calls).toFixed(2)} ms wall per call\n`,
);
await stopAllServers();
process.exit(0);
