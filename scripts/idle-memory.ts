// What an idle legacy-SSE session costs the HTTP server in memory: starts the compiled server
// (dist/main.js, build first), opens sessions the way a 2024-11-05 client does (GET /sse, the
// `endpoint` event, POST initialize + notifications/initialized) and leaves them open, printing
// the server's VmRSS and its JS heap after a full GC (read through the inspector) at each count.
//   npx tsx scripts/idle-memory.ts [counts, default 0,1000,5000,10000] [--snapshot-at N --snapshot FILE]
// Env: NODE_FLAGS adds flags to the server's node (e.g. --max-semi-space-size=16); SETTLE=<s>
// waits that long (printing RSS every 5 s) before each GC.
// Loopback only; no cluster needed: idle sessions never call the Kubernetes API.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { snapshot: { type: 'string' }, 'snapshot-at': { type: 'string' } } });
const counts = (positionals[0] ?? '0,1000,5000,10000').split(',').map(Number);
const CONCURRENCY = 50;

// No kubeconfig is needed to start, but give it one that goes nowhere, as a deployment would have.
const dir = mkdtempSync(join(tmpdir(), 'idle-memory-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
`);

const port = await freePort();
const server = spawn(
  process.execPath,
  // NODE_FLAGS: extra V8/Node flags to compare (e.g. --max-semi-space-size=16).
  [...(process.env.NODE_FLAGS?.split(' ').filter(Boolean) ?? []), '--expose-gc', '--inspect=127.0.0.1:0', 'dist/main.js', '--transport', 'http', '--host', '127.0.0.1', '--port', String(port),
    '--max-sessions', '20000', '--session-idle-timeout', '3600', '--rate-limit-per-minute', '0', '--max-sessions-per-principal', '0',
    '--max-concurrent-calls', '0', '--audit-log', '/dev/null', '--log-level', 'warn'],
  { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'inherit', 'pipe'] },
);
const inspectorUrl = await new Promise<string>((resolve, reject) => {
  let text = '';
  server.stderr!.on('data', (chunk: Buffer) => {
    text += chunk;
    const found = /ws:\/\/\S+/.exec(text);
    if (found) resolve(found[0]);
  });
  server.once('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
});
const inspector = await connectInspector(inspectorUrl);
await waitForPort(port);

// Streams need one socket each; the POSTs share a few kept-alive ones.
const streamAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
const postAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const streams: IncomingMessage[] = [];

try {
  console.log('sessions  rss MiB  heap used/committed MiB (after GC)  rss after GC  rss KiB/session  heap KiB/session');
  let base: { rss: number; heap: number } | undefined;
  for (const n of counts) {
    await openSessions(n - streams.length);
    await new Promise((r) => setTimeout(r, 1000)); // let sockets and buffers settle
    for (let t = 0; t < Number(process.env.SETTLE ?? 0); t += 5) {
      await new Promise((r) => setTimeout(r, 5000));
      console.log(`  ${t + 5}s idle: rss ${mib(vmRss(server.pid!))}`);
    }
    const rss = vmRss(server.pid!);
    const { heapUsed: heap, heapTotal } = await heapAfterGc();
    const rssAfterGc = vmRss(server.pid!);
    base ??= { rss, heap };
    const per = (now: number, then: number) => (n > 0 && n !== counts[0] ? ((now - then) / (n - counts[0]!) / 1024).toFixed(1) : '-');
    console.log(`${String(n).padStart(8)}  ${mib(rss).padStart(7)}  ${`${mib(heap)} / ${mib(heapTotal)}`.padStart(33)}  ${mib(rssAfterGc).padStart(12)}  ${per(rss, base.rss).padStart(15)}  ${per(heap, base.heap).padStart(16)}`);
    if (values.snapshot && Number(values['snapshot-at'] ?? n) === n) await snapshot(values.snapshot);
  }
} finally {
  inspector.close();
  for (const s of streams) s.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  streamAgent.destroy();
  postAgent.destroy();
  rmSync(dir, { recursive: true, force: true });
}

async function openSessions(count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < count) await openSession();
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

async function openSession(): Promise<void> {
  const stream = await new Promise<IncomingMessage>((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/sse', agent: streamAgent, headers: { accept: 'text/event-stream' } }, resolve).on('error', reject).end(),
  );
  if (stream.statusCode !== 200) throw new Error(`GET /sse answered ${stream.statusCode}`);
  streams.push(stream);
  stream.setEncoding('utf8');
  // Read until the endpoint and the answer to initialize; from then on keep-alive comments are dropped.
  let text = '';
  let idle = false;
  let wake = () => {};
  stream.on('data', (chunk: string) => {
    if (idle) return;
    text += chunk;
    wake();
  });
  const until = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      const check = () => {
        const found = pattern.exec(text);
        if (found) resolve(found);
      };
      wake = check;
      check();
    });
  const endpoint = (await until(/event: endpoint\ndata: (\S+)\n/))[1]!;
  const answered = until(/"id":1/);
  await post(endpoint, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'idle-memory', version: '1' } } });
  await answered;
  idle = true;
  text = '';
  await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
}

function post(path: string, body: unknown): Promise<void> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) =>
    request({ host: '127.0.0.1', port, path, method: 'POST', agent: postAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`POST answered ${res.statusCode}`))));
    })
      .on('error', reject)
      .end(data),
  );
}

function vmRss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) * 1024;
}

async function heapAfterGc(): Promise<NodeJS.MemoryUsage> {
  const { result } = (await inspector.call('Runtime.evaluate', { expression: 'gc(), gc(), process.memoryUsage()', returnByValue: true })) as { result: { value: NodeJS.MemoryUsage } };
  return result.value;
}

async function snapshot(file: string): Promise<void> {
  const out = createWriteStream(file);
  inspector.onChunk = (chunk) => out.write(chunk);
  await inspector.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  inspector.onChunk = undefined;
  await new Promise((r) => out.end(r));
  console.log(`heap snapshot written to ${file}`);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

async function connectInspector(url: string) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const pending = new Map<number, (result: unknown) => void>();
  let id = 0;
  const client = {
    onChunk: undefined as ((chunk: string) => void) | undefined,
    call(method: string, params: object = {}): Promise<unknown> {
      ws.send(JSON.stringify({ id: ++id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => ws.close(),
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { chunk: string }; result?: unknown };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') client.onChunk?.(message.params!.chunk);
    else if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  return client;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(p: number): Promise<void> {
  for (let deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const ok = await new Promise<boolean>((resolve) => request({ host: '127.0.0.1', port: p, path: '/healthz' }, (res) => (res.resume(), resolve(true))).on('error', () => resolve(false)).end());
    if (ok) return;
  }
  throw new Error('the server did not start listening');
}
