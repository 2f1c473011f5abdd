// Servers as child processes — cnpg-mcp itself and the load harness's echo server — for the e2e
// suite, the load harness and the scripts. Each runs under this Node (v24 from the `node`
// devDependency), listens where its arguments say, and is known to be up once it prints
// "listening on http://…"; it is stopped by its PID. One definition, so a change of how the server
// announces itself or how it is stopped is made once (issue #16).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, writeSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** cnpg-mcp from its TypeScript sources (tsx loads them): what the e2e suite and the demo run. */
export const SOURCE_ENTRY = ['--import', 'tsx', 'src/main.ts'] as const;

/** What the load harness needs of any server it measures (cnpg-mcp, the echo server, the peer). */
export interface ChildServer {
  /** http://host:port the process said it listens on. */
  url: URL;
  pid: number;
  /** ws://127.0.0.1:…/… of the V8 inspector, when started with `inspect` (load/lib/inspector.ts). */
  inspectorUrl?: string;
  /** Its last 200 lines of output (stdout and stderr), for error reports. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs` (default 30 s); resolves with the exit code. Idempotent. */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

export interface ServerProcess extends ChildServer {
  child: ChildProcess;
  /** Everything it wrote to stderr (the server's log), for assertions and error reports; '' with `stderrFile`. */
  log(): string;
  /** SIGKILL at once, as a crash would end it; resolves once it has exited. */
  kill(): Promise<number | null>;
}

export interface SpawnOptions {
  /** Named in errors: "cnpg-mcp exited (1) before listening". */
  name: string;
  /** Node flags and script arguments: `node <args>`. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Opens the V8 inspector on a free loopback port, for heap figures after a full GC. */
  inspect?: boolean;
  /** stdout is cnpg-mcp's audit log: ignored unless a caller reads it. Default: piped and kept in tail(). */
  stdout?: 'pipe' | 'ignore';
  /** Append stderr to this file (the demo's server log) instead of keeping it for log(): a long run would grow it without end. */
  stderrFile?: string;
  /** Its own process group, so a Ctrl-C at the terminal reaches only the parent (the demo). */
  detached?: boolean;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
// A parent that dies must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Stops a child by PID: `signal`, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

/** Starts `node <args>` and resolves once it prints "listening on http://…". */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const args = [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...options.args];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    detached: options.detached,
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  let log = '';
  const lines: string[] = [];
  let inspectorUrl: string | undefined;
  let url: URL | undefined;
  const file = options.stderrFile ? openSync(options.stderrFile, 'a') : undefined;
  const onText = (fromStderr: boolean) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (fromStderr && file === undefined) log += text;
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
      const listening = /listening on (http:\/\/[0-9.:[\]a-z]+)/.exec(line)?.[1];
      if (listening) url ??= new URL(listening);
    }
  };
  // Both pipes are read for the life of the child: a full pipe would block the server.
  child.stdout?.on('data', onText(false));
  child.stderr!.on('data', onText(true));
  if (file !== undefined) child.stderr!.on('data', (chunk: Buffer) => writeSync(file, chunk));
  // An exit before listening ends the wait at once instead of at the deadline.
  const died = new AbortController();
  void exited.then((code) => died.abort(new Error(`${options.name} exited (${code ?? child.signalCode}) before listening`)));
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await waitFor(() => url, { what: `${options.name} to print the URL it listens on`, timeoutMs, intervalMs: 50, signal: died.signal });
  } catch (err) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(`${(err as Error).message}\n${lines.join('\n')}`);
  }
  let stopping: Promise<number | null> | undefined;
  return {
    url: url!,
    pid: child.pid!,
    child,
    inspectorUrl,
    log: () => log,
    tail: () => [...lines],
    exited,
    stop: (graceMs = 30_000) => (stopping ??= stopProcess(child, 'SIGTERM', graceMs)),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

export interface SourceServerOptions {
  kubeconfigPath: string;
  /** More flags after the transport, host, port and kubeconfig. */
  args?: string[];
  env?: Record<string, string>;
  host?: string;
  /** Default 0: a free port, read back from what the server prints. */
  port?: number;
  stderrFile?: string;
  detached?: boolean;
  /** --shutdown-timeout: 2 s by default, so a spec's server stops quickly; null keeps the server's own default. */
  shutdownTimeoutSec?: number | null;
}

/** `node --import tsx src/main.ts --transport http --host 127.0.0.1 --port 0 …`; resolves once it listens. */
export function startServerProcess(options: SourceServerOptions): Promise<ServerProcess> {
  const args = [
    ...SOURCE_ENTRY,
    ...['--transport', 'http', '--host', options.host ?? '127.0.0.1', '--port', String(options.port ?? 0)],
    ...['--kubeconfig', options.kubeconfigPath],
    ...(options.shutdownTimeoutSec === null ? [] : ['--shutdown-timeout', String(options.shutdownTimeoutSec ?? 2)]),
    ...(options.args ?? []),
  ];
  // stdout is the audit log: not needed here.
  return spawnServer({
    name: 'cnpg-mcp',
    args,
    env: options.env,
    stdout: 'ignore',
    stderrFile: options.stderrFile,
    detached: options.detached,
    timeoutMs: 30_000,
  });
}

/** Polls GET <url>/readyz until 200; fails naming the last answer, or at once when the server exits. */
export async function waitReady(server: ChildServer, timeoutMs = 60_000): Promise<void> {
  const died = new AbortController();
  void server.exited.then((code) => died.abort(new Error(`the server exited (${code}) before it was ready`)));
  let last = '';
  const ready = async () => {
    const res = await getOnce(new URL('/readyz', server.url)).catch((err: Error) => ({ status: 0, body: err.message }));
    last = `${res.status} ${res.body}`;
    return res.status === 200;
  };
  try {
    await waitFor(ready, { what: 'the server to be ready', timeoutMs, intervalMs: 200, signal: died.signal });
  } catch (err) {
    throw new Error(`${(err as Error).message} (last /readyz: ${last})\n${server.tail().slice(-30).join('\n')}`);
  }
}

/**
 * One GET on a connection of its own, closed after the answer: a pooled keep-alive connection
 * (fetch's) would stay open in the server and count among the sockets a benchmark measures.
 */
function getOnce(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}
