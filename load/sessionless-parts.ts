// npx tsx load/sessionless-parts.ts [--calls 5000] [--rounds 5]
//
// Where a session-less (2026-07-28) get_cluster_status call's CPU goes, without HTTP: the steps
// src/transports/sessionless.ts runs for one POST, each alone, in this process, on the real
// code (our createServer over a fake CNPG boundary, the SDK's createMcpHandler), so each part
// can be set against the whole call of load/call-cpu.ts (docs/benchmarks.md, issue #17):
//  - the Web Request built from node:http's headers (webRequestOf),
//  - the era classification (the SDK's isLegacyRequest on the parsed body),
//  - the SDK's exchange (createMcpHandler's fetch: classification again, the validation ladder,
//    a Server from our factory, connect, dispatch, validation, the JSON Response, close) and
//    reading the answer's bytes,
//  - of that, our factory alone (a Server with its handlers registered, then closed),
//  - and, for comparison, the same tools/call on one long-lived Server (a 2025-11-25 session over
//    the SDK's in-memory transport): what the exchange costs without its per-request machinery.
// CPU µs per call (process.cpuUsage), median of the rounds.
import { parseArgs } from 'node:util';
import { createMcpHandler, InMemoryTransport, isLegacyRequest, type JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Request as ExpressRequest } from 'express';
import { createServer } from '../src/mcp/server.js';
import { webRequestOf } from '../src/transports/sessionless.js';
import { depsWithCnpg, fakeCluster } from '../test-support/http-server.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '5' } } });
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

const deps = depsWithCnpg({ get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name) });
const body = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'get_cluster_status',
    arguments: { namespace: 'default', name: 'bench-pg' },
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'cpu', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
};
// What node:http hands the handler for the harness's session-less POST (load/lib/clients.ts).
const req = {
  method: 'POST',
  originalUrl: '/mcp',
  headers: {
    host: '127.0.0.1:3000',
    connection: 'keep-alive',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'get_cluster_status',
    'content-length': '300',
  },
} as unknown as ExpressRequest;

const modern = createMcpHandler(() => createServer(deps), { legacy: 'reject' });

// A session: one Server, initialized once; each call is a request through its transport.
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
const pending = new Map<unknown, () => void>();
clientSide.onmessage = (message: JSONRPCMessage) => {
  const id = (message as { id?: unknown }).id;
  pending.get(id)?.();
  pending.delete(id);
};
await createServer(deps).connect(serverSide);
await clientSide.start();
let nextId = 1;
const roundTrip = (message: Record<string, unknown>) =>
  new Promise<void>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    void clientSide.send({ ...message, jsonrpc: '2.0', id } as JSONRPCMessage);
  });
await roundTrip({ method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cpu', version: '1' } } });
await clientSide.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
const sessionCall = { method: 'tools/call', params: { name: 'get_cluster_status', arguments: body.params.arguments } };

async function measure(step: () => unknown): Promise<number> {
  const once = async () => {
    const start = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) await step();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / CALLS;
  };
  await once();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await once());
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const steps: [string, () => unknown][] = [
  ['Web Request from the node:http headers (webRequestOf)', () => webRequestOf(req, new AbortController().signal)],
  ['era classification (isLegacyRequest, parsed body)', () => isLegacyRequest(webRequestOf(req), body)],
  [
    "the SDK's exchange, answer bytes read (createMcpHandler fetch)",
    async () => {
      const response = await modern.fetch(webRequestOf(req, new AbortController().signal), { parsedBody: body });
      if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    },
  ],
  ['… of which our factory: a Server with its handlers, then closed', () => createServer(deps).close()],
  ['the same tools/call on a session (one Server, in-memory transport)', () => roundTrip(sessionCall)],
];
const request = await measure(steps[0]![1]);
for (const [name, step] of steps) {
  const us = await measure(step);
  // The classification and the exchange build their own Request: its cost is shown apart.
  const own = name.startsWith("the SDK's") || name.startsWith('era') ? us - request : us;
  process.stdout.write(`${own.toFixed(1).padStart(7)} µs  ${name}${own === us ? '' : ' (its Web Request subtracted)'}\n`);
}
await modern.close();
process.exit(0);
