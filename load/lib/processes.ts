// The servers under load run as child processes, so /proc/<pid> gives their own CPU and RSS.
// Each is started with this Node (v24 from the `node` devDependency) — the MCP server compiled, as
// the image runs it; the harness's own echo server through tsx — listening on 127.0.0.1 port 0;
// the URL is read from what it prints once it listens.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildServer {
  url: URL;
  pid: number;
  /** ws://127.0.0.1:…/… of the V8 inspector, when started with `inspect` (see inspector.ts). */
  inspectorUrl?: string;
  /** The last lines it printed (stdout and stderr), for error reports. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. Idempotent. */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
// A harness that dies must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface SpawnOptions {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Opens the V8 inspector on a free loopback port, for heap figures after a full GC. */
  inspect?: boolean;
  /** The script is TypeScript, run through tsx (the harness's own servers); default: plain node. */
  typescript?: boolean;
  timeoutMs?: number;
}

/** Starts `node [--import tsx] <args>` and waits until it prints a http://127.0.0.1:… URL. */
export async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const nodeFlags = [...(options.nodeFlags ?? []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...(options.typescript ? ['--import', 'tsx'] : [])];
  const child = spawn(process.execPath, [...nodeFlags, ...options.args], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let inspectorUrl: string | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} printed no URL within ${(options.timeoutMs ?? 60_000) / 1000} s:\n${lines.join('\n')}`)), options.timeoutMs ?? 60_000);
    const onText = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(line);
        if (inspector) inspectorUrl = inspector[1];
        const match = /listening on (http:\/\/[0-9.:[\]a-z]+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(new URL(match[1]!));
        }
      }
    };
    // Both pipes are read for the life of the child: a full pipe would block the server.
    child.stdout!.on('data', onText);
    child.stderr!.on('data', onText);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
  let stopping: Promise<number | null> | undefined;
  return {
    url,
    pid: child.pid!,
    inspectorUrl,
    tail: () => [...lines],
    exited,
    stop: (graceMs = 30_000) =>
      (stopping ??= (async () => {
        if (child.exitCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })()),
  };
}

export interface McpServerOptions {
  kubeconfigPath: string;
  maxSessions: number;
  token?: string;
  logLevel?: string;
  /** Where the audit log goes; default /dev/null (the line is still built, but not piped to us). */
  auditLog?: string;
  /** Open the V8 inspector on loopback, for heap after GC (inspector.ts). */
  inspect?: boolean;
}

/**
 * The server is measured as the image runs it: the compiled dist/main.js under plain node (no
 * tsx loader, no source maps), built from the working tree first.
 */
export const SERVER_ENTRY = 'dist/main.js';

/** The environment the image sets (Dockerfile ENV; spec/deploy/image.spec.ts checks they agree). */
export const IMAGE_ENV = { NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=16' } as const;

export function buildServer(): void {
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit', timeout: 300_000 });
}

/** The flags this build of the server knows (from --help): the harness runs against older and newer builds. */
export function supportedFlags(): Set<string> {
  const help = execFileSync(process.execPath, [SERVER_ENTRY, '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return new Set(help.match(/--[a-z][a-z-]*/g) ?? []);
}

/**
 * The server as a deployment would run it, with the policy limits that exist to protect a shared
 * server from one client lifted: the harness is one principal on one address making thousands of
 * calls per second on purpose. Each is passed only when this build knows it.
 */
export function serverArgs(options: McpServerOptions, known: Set<string>): string[] {
  const args = [SERVER_ENTRY, '--transport', 'http', '--host', '127.0.0.1', '--port', '0', '--max-sessions', String(options.maxSessions), '--log-level', options.logLevel ?? 'info'];
  const optional: [string, string][] = [
    // The harness's own sessions end explicitly; nothing should expire during a 10-minute soak.
    ['--session-idle-timeout', '3600'],
    ['--rate-limit-per-minute', '0'],
    ['--max-sessions-per-principal', '0'],
    ['--max-concurrent-calls', '0'],
    ['--audit-log', options.auditLog ?? '/dev/null'],
  ];
  for (const [flag, value] of optional) if (known.has(flag)) args.push(flag, value);
  return args;
}

export function startMcpServer(options: McpServerOptions, known: Set<string> = supportedFlags()): Promise<ChildServer> {
  return spawnServer({
    name: 'cnpg-mcp',
    args: serverArgs(options, known),
    env: { ...IMAGE_ENV, KUBECONFIG: options.kubeconfigPath, ...(options.token ? { AUTH_TOKENS: options.token } : {}) },
    inspect: options.inspect,
  });
}

export function startEchoServer(): Promise<ChildServer> {
  return spawnServer({ name: 'echo server', args: ['load/echo-server.ts', '--port', '0'], typescript: true });
}
