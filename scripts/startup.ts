// Start-up cost of the compiled server over stdio, beside a bare Node process answering the same
// `initialize` in the same run (issue #13): CPU (user+sys from spawn to the first answer, read
// from /proc) and RSS once it answered `tools/list`; then the HTTP transport's idle RSS once it
// listens. A benchmark figure, printed, never asserted.
//   npm run bench:startup [-- --runs 5] [--compare /path/to/other/dist/main.js]
// Build first (npm run build). The server gets a kubeconfig that points at 127.0.0.1:1, as a
// user's would: loaded, never reached, because nothing here calls a tool.
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

// The baseline: the least a Node process can do to answer those two requests on stdio.
const BARE = `require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const m = JSON.parse(l); if (m.id !== undefined) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }) + '\\n');
});`;

interface StdioSample {
  cpuMs: number;
  rssMb: number;
}

/** Spawns `args`, sends initialize; CPU at its answer; RSS after tools/list is answered. */
async function measureStdio(args: string[], env: NodeJS.ProcessEnv): Promise<StdioSample> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'ignore'] });
  const pid = child.pid!;
  try {
    const answers = createInterface({ input: child.stdout });
    const waitFor = (id: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to request ${id} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
        const onLine = (line: string) => {
          if ((JSON.parse(line) as { id?: number }).id !== id) return;
          clearTimeout(timer);
          answers.off('line', onLine);
          resolve();
        };
        answers.on('line', onLine);
        child.once('exit', (code) => reject(new Error(`exited with ${code} before answering request ${id}`)));
      });
    const initialized = waitFor(1);
    child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    await initialized;
    const cpuMs = processCpuMicros(pid) / 1000;
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const listed = waitFor(2);
    child.stdin.write(`${JSON.stringify(TOOLS_LIST)}\n`);
    await listed;
    return { cpuMs, rssMb: processRssMb(pid) };
  } finally {
    child.kill('SIGKILL');
  }
}

/** Starts the HTTP transport on port 0 and reads its RSS once it printed its URL. */
async function measureHttpIdle(env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, ['dist/main.js', '--transport', 'http', '--host', '127.0.0.1', '--port', '0'], {
    cwd: repoRoot,
    env: { ...env, AUTH_TOKENS: 'startup-bench-token-0123456789abcdef', NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=16' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
const fmt = (values: number[]) => `median ${median(values).toFixed(0)} (${values.map((v) => v.toFixed(0)).join(', ')})`;

const dir = mkdtempSync(join(tmpdir(), 'startup-bench-'));
const kubeconfig = writeUnreachableKubeconfig(dir);
const env = { ...process.env, KUBECONFIG: kubeconfig, NODE_OPTIONS: '' };

try {
  console.log(
    `node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; ${RUNS} runs each`,
  );
  const bare: StdioSample[] = [];
  const server: StdioSample[] = [];
  const http: number[] = [];
  const other: StdioSample[] = [];
  // Interleaved, so a change in the machine's load touches both alike.
  for (let i = 0; i < RUNS; i++) {
    bare.push(await measureStdio(['-e', BARE], env));
    server.push(await measureStdio(['dist/main.js'], env));
    http.push(await measureHttpIdle(env));
    if (COMPARE) other.push(await measureStdio([COMPARE], env));
  }
  console.log(`stdio CPU to first answer, ms   bare node ${fmt(bare.map((s) => s.cpuMs))}   cnpg-mcp ${fmt(server.map((s) => s.cpuMs))}`);
  console.log(`stdio RSS after tools/list, MiB bare node ${fmt(bare.map((s) => s.rssMb))}   cnpg-mcp ${fmt(server.map((s) => s.rssMb))}`);
  if (COMPARE) console.log(`${COMPARE}: stdio CPU ms ${fmt(other.map((s) => s.cpuMs))}, RSS MiB ${fmt(other.map((s) => s.rssMb))}`);
  console.log(`HTTP idle RSS once listening, MiB (image environment)   cnpg-mcp ${fmt(http)}`);
  console.log('CPU is read from /proc in 10 ms ticks; on a shared machine each figure moves by tens of ms.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
