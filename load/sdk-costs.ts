// npx tsx load/sdk-costs.ts [--rounds 7] [--iterations 50000]
//
// What two upstream steps of @modelcontextprotocol/server cost per message, in this process, on
// the SDK's own functions (issue #17, docs/benchmarks.md "Upstream costs in the SDK"):
//  1. classification: Protocol.connect's onmessage decides what a message is by trying
//     isJSONRPCResultResponse, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCNotification
//     in that order, each a zod safeParse, so a request pays two failing parses before the one
//     that succeeds and a notification three;
//  2. tools/call validation: Server._wrapHandler('tools/call') parses the request and then the
//     handler's result against the negotiated revision's wire schemas (codec.validateRequest /
//     validateResult), and McpServer (which cnpg-mcp does not use) also parses structuredContent
//     against the tool's output schema.
// Each is set against a direct check that decides the same thing. The tool result is a real
// one: get_cluster_status's handler (concise, as the benchmark calls it) on a Cluster object as
// the operator writes it. Figures are µs per message, the median of the rounds.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse, type CallToolResult } from '@modelcontextprotocol/server';
import type { Cluster } from '../src/cnpg/types.js';
import type { ToolContext } from '../src/kit/tool.js';
import { successResult } from '../src/mcp/results.js';
import { getClusterStatus } from '../src/tools/clusters.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, iterations: { type: 'string', default: '50000' } } });
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);

/** µs per call of `fn`, median of ROUNDS rounds of ITERATIONS calls, after a warm-up round. */
function measure(fn: (i: number) => unknown): number {
  let sink = 0;
  const round = () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) if (fn(i)) sink++;
    return Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS;
  };
  round();
  const times = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
  if (sink < 0) console.log(sink); // keeps the results alive
  return times[Math.floor(times.length / 2)]!;
}

// ---- the messages, as the harness's clients send them (load/lib/clients.ts) ----
const request = JSON.parse(
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_cluster_status","arguments":{"name":"bench-pg","namespace":"default"}}}',
) as Record<string, unknown>;
const notification = JSON.parse('{"jsonrpc":"2.0","method":"notifications/initialized"}') as Record<string, unknown>;
const response = JSON.parse('{"jsonrpc":"2.0","id":3,"result":{}}') as Record<string, unknown>;

/** The SDK's order (Protocol.connect, onmessage). */
function sdkClassify(m: unknown): string {
  if (isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) return 'response';
  if (isJSONRPCRequest(m)) return 'request';
  if (isJSONRPCNotification(m)) return 'notification';
  return 'invalid';
}

/** The fix suggested upstream: discriminate on the keys, then the one schema that can match. */
function keyedClassify(m: unknown): string {
  if (typeof m !== 'object' || m === null) return 'invalid';
  if ('method' in m) return 'id' in m ? (isJSONRPCRequest(m) ? 'request' : 'invalid') : isJSONRPCNotification(m) ? 'notification' : 'invalid';
  if ('result' in m) return isJSONRPCResultResponse(m) ? 'response' : 'invalid';
  return isJSONRPCErrorResponse(m) ? 'response' : 'invalid';
}

/** A direct check of the envelope alone, what a discriminator costs without any schema. */
function directClassify(m: unknown): string {
  if (typeof m !== 'object' || m === null || (m as { jsonrpc?: unknown }).jsonrpc !== '2.0') return 'invalid';
  const o = m as Record<string, unknown>;
  const hasId = typeof o.id === 'string' || typeof o.id === 'number';
  if (typeof o.method === 'string') return hasId ? 'request' : 'notification';
  return hasId && ('result' in o || 'error' in o) ? 'response' : 'invalid';
}

for (const [what, m] of [
  ['request', request],
  ['notification', notification],
  ['response', response],
] as const) {
  for (const classify of [sdkClassify, keyedClassify, directClassify])
    if (classify(m) !== what) throw new Error(`${classify.name} says ${classify(m)} for a ${what}`);
}

// ---- a real tool result ----
const cluster: Cluster = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'bench-pg', namespace: 'default', annotations: {} },
  spec: { instances: 3, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.5', storage: { size: '10Gi', storageClass: 'standard' } },
  status: {
    phase: 'Cluster in healthy state',
    instances: 3,
    readyInstances: 3,
    currentPrimary: 'bench-pg-1',
    targetPrimary: 'bench-pg-1',
    image: 'ghcr.io/cloudnative-pg/postgresql:17.5',
    writeService: 'bench-pg-rw',
    readService: 'bench-pg-r',
    lastSuccessfulBackup: '2026-12-01T23:00:04Z',
  },
} as Cluster;
// The handler reads one Cluster through ctx.cnpg().get; here it is handed the object above, so no
// API server is needed. Nothing else of the context is used on the concise path.
const ctx = { cnpg: () => ({ get: async () => cluster }), namespaces: { resolve: (ns?: string) => ns ?? 'default' } } as unknown as ToolContext;
const outcome = await getClusterStatus.handler(getClusterStatus.input.parse({ name: 'bench-pg', namespace: 'default' }), ctx);
const result: CallToolResult = successResult(outcome.text, outcome.data as Record<string, unknown>, 50_000, false);

/**
 * The codec Server._wrapHandler('tools/call') uses. The SDK does not export it from its entry
 * point, so it is taken from the bundle chunk that exports `codecForVersion` (the name it is
 * exported under is read from the chunk's export list). A changed layout fails loudly here.
 */
async function sdkCodec(): Promise<{ validateRequest(m: string, raw: unknown): { ok: boolean }; validateResult(m: string, raw: unknown): { ok: boolean } }> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@modelcontextprotocol/server'));
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.mjs'))) {
    const text = readFileSync(join(dist, file), 'utf8');
    const alias = /\bcodecForVersion as ([A-Za-z_$][\w$]*)/.exec(text)?.[1];
    if (!alias) continue;
    const mod = (await import(pathToFileURL(join(dist, file)).href)) as Record<string, (v: string) => never>;
    return mod[alias]!('2025-11-25');
  }
  throw new Error(`no chunk of @modelcontextprotocol/server exports codecForVersion (looked in ${dist}): the SDK's layout changed`);
}
const codec = await sdkCodec();
if (!codec.validateRequest('tools/call', request).ok || !codec.validateResult('tools/call', result).ok)
  throw new Error('the SDK codec refuses the request or the result');

/** A direct check that the result is a CallToolResult of text blocks with an object structuredContent. */
function directResultCheck(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const { content, structuredContent, isError } = r as Record<string, unknown>;
  if (!Array.isArray(content)) return false;
  for (const block of content)
    if (typeof block !== 'object' || block === null || (block as { type?: unknown }).type !== 'text' || typeof (block as { text?: unknown }).text !== 'string')
      return false;
  return (
    (structuredContent === undefined || (typeof structuredContent === 'object' && structuredContent !== null && !Array.isArray(structuredContent))) &&
    (isError === undefined || typeof isError === 'boolean')
  );
}
if (!directResultCheck(result)) throw new Error('the direct check refuses the real result');

const rows: [string, number][] = [
  ['classify a request, SDK order (2 failing zod parses + 1)', measure(() => sdkClassify(request))],
  ['classify a request, keys first + its one schema', measure(() => keyedClassify(request))],
  ['classify a request, direct envelope check', measure(() => directClassify(request))],
  ['classify a notification, SDK order (3 failing + 1)', measure(() => sdkClassify(notification))],
  ['classify a notification, keys first + its one schema', measure(() => keyedClassify(notification))],
  ['classify a response, SDK order (1)', measure(() => sdkClassify(response))],
  ['tools/call request, SDK wire schema (validateRequest)', measure(() => codec.validateRequest('tools/call', request).ok)],
  ['get_cluster_status result, SDK wire schema (validateResult)', measure(() => codec.validateResult('tools/call', result).ok)],
  [
    'get_cluster_status structuredContent, its output schema (zod, as McpServer does)',
    measure(() => getClusterStatus.output.safeParse(result.structuredContent).success),
  ],
  ['get_cluster_status result, direct shape check', measure(() => directResultCheck(result))],
];
/** A package's version from the package.json above its resolved entry (not every package exports ./package.json). */
function versionOf(pkg: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(pkg));
  while (dirname(dir) !== dir) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === pkg) return manifest.version ?? '?';
    } catch {
      // no package.json at this level
    }
    dir = dirname(dir);
  }
  return '?';
}
process.stdout.write(
  `@modelcontextprotocol/server ${versionOf('@modelcontextprotocol/server')}, zod ${versionOf('zod')}, Node ${process.version}; median of ${ROUNDS} rounds × ${ITERATIONS} messages; result: ${JSON.stringify(result).length} bytes of JSON\n\n`,
);
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, us] of rows) process.stdout.write(`${name.padEnd(width)}  ${us.toFixed(2).padStart(7)} µs\n`);
