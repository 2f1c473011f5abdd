// The servers under load run as child processes (test-support/server-process.ts), so
// /proc/<pid> gives their own CPU and RSS: the MCP server compiled, as the image runs it; the
// harness's own echo server through tsx — listening on 127.0.0.1 port 0.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, spawnServer, type ChildServer } from '../../test-support/server-process.js';

export { repoRoot, type ChildServer };

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
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
    timeout: 300_000,
  });
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
  const args = [
    SERVER_ENTRY,
    '--transport',
    'http',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--max-sessions',
    String(options.maxSessions),
    '--log-level',
    options.logLevel ?? 'info',
  ];
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
  return spawnServer({ name: 'echo server', args: ['--import', 'tsx', 'load/echo-server.ts', '--port', '0'] });
}
