// Start-up cost of the compiled server, beside a bare Node process doing the least the same job
// needs, in the same run (issue #13). A benchmark: figures printed, never asserted.
//   npm run bench:startup [-- --runs 5] [--compare /path/to/other/dist/main.js]
// Over stdio: CPU (user+sys from spawn, read from /proc) at the answer to `initialize` and at the
// answer to `tools/list`, RSS then, and the first tool call's wall time and CPU (it loads the
// Kubernetes client; the kubeconfig points at 127.0.0.1:1, as a user's would, so the call ends in
// a connection error). Each twice: with an empty V8 compile cache (a first start) and with the
// cache the previous start left (every later start: src/main.ts). Then the HTTP transport's RSS
// once it listens, beside a bare node:http server. The 50-client and idle-session figures need
// the control plane: `npm run bench` (scripts/bench.ts) prints them beside its bare echo server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuMicros, processRssMb } from '../load/lib/proc.js';
import { repoRoot } from '../load/lib/processes.js';
import { writeUnreachableKubeconfig } from '../load/lib/unreachable-kubeconfig.js';

const argValue = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(argValue('--runs') ?? 5);
// Another build's entry (e.g. a checkout of an older commit) measured in the same run, for before/after.
const COMPARE = argValue('--compare');
const DEADLINE_MS = 30_000;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'startup-bench', version: '0' } },
};
const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const FIRST_CALL = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_postgres_clusters', arguments: {} } };

// The baselines: the least a Node process can do to answer on stdio, and to listen on HTTP.
const BARE_STDIO = `require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const m = JSON.parse(l); if (m.id !== undefined) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }) + '\\n');
});`;
const BARE_HTTP = `require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', function () {
  console.log('http://127.0.0.1:' + this.address().port);
});`;

interface StdioSample {
  initCpuMs: number;
  listCpuMs: number;
  rssMb: number;
  /** Wall time and CPU of the first tools/call (absent for the bare process). */
  callMs?: number;
  callCpuMs?: number;
}

/** Spawns `args`, sends initialize, tools/list and (`call`) one tool call, then closes stdin as a client does. */
async function measureStdio(args: string[], env: NodeJS.ProcessEnv, call: boolean): Promise<StdioSample> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'ignore'] });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const answers = createInterface({ input: child.stdout });
    const ask = (message: { id: number }) => {
      const answered = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to request ${message.id} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
        const onLine = (line: string) => {
          if ((JSON.parse(line) as { id?: number }).id !== message.id) return;
          clearTimeout(timer);
          answers.off('line', onLine);
          resolve();
        };
        answers.on('line', onLine);
        exited.then(() => reject(new Error(`exited before answering request ${message.id}`)));
      });
      child.stdin.write(`${JSON.stringify(message)}\n`);
      return answered;
    };
    const cpuMs = () => processCpuMicros(pid) / 1000;
    await ask(INITIALIZE);
    const initCpuMs = cpuMs();
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    await ask(TOOLS_LIST);
    const sample: StdioSample = { initCpuMs, listCpuMs: cpuMs(), rssMb: processRssMb(pid) };
    if (call) {
      const started = performance.now();
      await ask(FIRST_CALL);
      sample.callMs = performance.now() - started;
      sample.callCpuMs = cpuMs() - sample.listCpuMs;
    }
    // A clean end (stdin closed) is what lets the server write its compile cache at exit.
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    await exited;
    clearTimeout(timer);
    return sample;
  } finally {
    child.kill('SIGKILL');
  }
}

/** Starts `args` (an HTTP server on port 0) and reads its RSS once it printed its URL. */
async function measureHttpIdle(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`HTTP server printed no URL within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      const onText = (chunk: Buffer) => {
        if (!/http:\/\/127\.0\.0\.1:\d+/.test(chunk.toString('utf8'))) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout.on('data', onText);
      child.stderr.on('data', onText);
      child.once('exit', (code) => reject(new Error(`HTTP server exited with ${code}`)));
    });
    return processRssMb(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (values: number[]) => `${median(values).toFixed(0)} (${values.map((v) => v.toFixed(0)).join(', ')})`;
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

const dir = mkdtempSync(join(tmpdir(), 'startup-bench-'));
const kubeconfig = writeUnreachableKubeconfig(dir);
const env = { ...process.env, KUBECONFIG: kubeconfig, NODE_OPTIONS: '', NODE_DISABLE_COMPILE_CACHE: undefined };
// One cache directory per run for the cold start (empty), reused by the warm start that follows.
const withCache = (run: number) => ({ ...env, NODE_COMPILE_CACHE: join(dir, `cache-${run}`) });
const image = { ...env, AUTH_TOKENS: 'startup-bench-token-0123456789abcdef', NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=16' };

try {
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${load()} at the start; ${RUNS} runs each, median (runs)`);
  const bare: StdioSample[] = [];
  const cold: StdioSample[] = [];
  const warm: StdioSample[] = [];
  const other: StdioSample[] = [];
  const http: number[] = [];
  const bareHttp: number[] = [];
  // Interleaved, so a change in the machine's load touches all alike.
  for (let i = 0; i < RUNS; i++) {
    bare.push(await measureStdio(['-e', BARE_STDIO], env, false));
    cold.push(await measureStdio(['dist/main.js'], withCache(i), true));
    warm.push(await measureStdio(['dist/main.js'], withCache(i), true));
    if (COMPARE) other.push(await measureStdio([COMPARE], withCache(i + RUNS), true));
    bareHttp.push(await measureHttpIdle(['-e', BARE_HTTP], image));
    http.push(await measureHttpIdle(['dist/main.js', '--transport', 'http', '--host', '127.0.0.1', '--port', '0'], image));
  }
  const row = (label: string, pick: (s: StdioSample) => number | undefined, withBare: boolean) => {
    const of = (samples: StdioSample[]) => fmt(samples.map((s) => pick(s) ?? Number.NaN));
    const columns = [`cold ${of(cold)}`, `warm ${of(warm)}`, ...(COMPARE ? [`compare ${of(other)}`] : [])];
    console.log(`${label.padEnd(38)} ${withBare ? `bare node ${of(bare)}   ` : ''}cnpg-mcp ${columns.join('   ')}`);
  };
  console.log('stdio (cold: empty compile cache; warm: the cache the cold start left)');
  row('CPU at the initialize answer, ms', (s) => s.initCpuMs, true);
  row('CPU at the tools/list answer, ms', (s) => s.listCpuMs, true);
  row('RSS after tools/list, MiB', (s) => s.rssMb, true);
  row('first tools/call, wall ms', (s) => s.callMs, false);
  row('first tools/call, CPU ms', (s) => s.callCpuMs, false);
  if (COMPARE) console.log(`compare = ${COMPARE}`);
  console.log(`HTTP RSS idle once listening, MiB (image environment)  bare node:http ${fmt(bareHttp)}   cnpg-mcp ${fmt(http)}`);
  console.log(`load average ${load()} at the end. CPU is read from /proc in 10 ms ticks; on a shared machine each figure moves by tens of ms.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
