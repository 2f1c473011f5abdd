// Several replicas on one machine, for the specs of issue #6: nginx in front of the cnpg-mcp
// processes (test-support/server-process.ts) terminating TLS with the documented configuration
// (deploy/nginx/cnpg-mcp.conf), and a fetch that trusts the test CA. Everything listens on
// 127.0.0.1, lives in a temporary directory, and is stopped by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePorts } from '../../local-cluster/ports.js';
import { repoRoot, stopProcess } from '../../test-support/server-process.js';
import { waitFor } from '../../test-support/wait.js';

export const NGINX_CONF = join(repoRoot, 'deploy/nginx/cnpg-mcp.conf');

const nginxBinary = ['nginx', '/usr/sbin/nginx'].find((bin) => spawnSync(bin, ['-v'], { stdio: 'ignore' }).status === 0);
export const nginxAvailable = nginxBinary !== undefined;

/**
 * A fetch (undici's, with its own dispatcher) that trusts `caPem` — the test CA — and no other CA
 * (`ca` replaces the default list); for the SDK transports' `fetch` option.
 */
export function fetchTrusting(caPem: string): { fetch: typeof fetch; close(): Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 10_000 });
  const trusting = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return { fetch: trusting, close: () => dispatcher.close() };
}

export interface NginxSettings {
  /** host:port of each replica. */
  upstreams: string[];
  listen: string;
  certFile: string;
  keyFile: string;
  accessLog: string;
}

/**
 * The documented configuration with this machine's addresses, port, certificate and log. Each
 * directive replaced must be found exactly where the documentation has it, so a change of the
 * documented file that this cannot follow fails loudly instead of testing something else.
 */
export function renderNginxConf(documented: string, settings: NginxSettings): string {
  let conf = documented;
  const replace = (pattern: RegExp, replacement: string, times = 1) => {
    const found = conf.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
    if (found !== times) throw new Error(`${NGINX_CONF}: expected ${times} match(es) of ${pattern}, found ${found}`);
    conf = conf.replace(new RegExp(pattern.source, 'gm'), replacement);
  };
  const servers = settings.upstreams.map((upstream) => `    server ${upstream} max_fails=1 fail_timeout=10s;`).join('\n');
  replace(/^ {4}server 10\.0\.0\.11:3000 max_fails=1 fail_timeout=10s;\n {4}server 10\.0\.0\.12:3000 max_fails=1 fail_timeout=10s;$/, servers);
  replace(/^ {4}listen 443 ssl;$/, `    listen ${settings.listen} ssl;`);
  replace(/^ {4}ssl_certificate {5}\S+;$/, `    ssl_certificate     ${settings.certFile};`);
  replace(/^ {4}ssl_certificate_key \S+;$/, `    ssl_certificate_key ${settings.keyFile};`);
  replace(/^ {4}access_log \S+ cnpg_mcp;$/, `    access_log ${settings.accessLog} cnpg_mcp;`);
  return conf;
}

export interface Nginx {
  /** https://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  /** The access log's lines so far (log_format cnpg_mcp). */
  accessLog(): Promise<string[]>;
  log(): string;
  stop(): Promise<void>;
}

/**
 * nginx as the test user (`-p <dir>`, every path in the directory, `daemon off`, errors to
 * stderr), in front of `upstreams`, serving TLS with a certificate of `ca` for 127.0.0.1.
 */
export async function startNginx(
  upstreams: string[],
  ca: { issueServerCert(): Promise<{ certPem: string; keyPem: string }> },
  trustingFetch: typeof fetch,
): Promise<Nginx> {
  if (!nginxBinary) throw new Error('nginx is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-nginx-'));
  try {
    const { certPem, keyPem } = await ca.issueServerCert();
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await writeFile(certFile, certPem);
    await writeFile(keyFile, keyPem, { mode: 0o600 });
    const accessLog = join(dir, 'access.log');
    const [port] = await freePorts(1);
    const site = renderNginxConf(await readFile(NGINX_CONF, 'utf8'), { upstreams, listen: `127.0.0.1:${port}`, certFile, keyFile, accessLog });
    await writeFile(join(dir, 'cnpg-mcp.conf'), site);
    const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
    await writeFile(
      join(dir, 'nginx.conf'),
      [
        // Under root, workers would switch to `nobody`, which cannot enter this directory.
        ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
        'worker_processes 1;',
        'events { worker_connections 1024; }',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${temp(name)}`),
        `  include ${join(dir, 'cnpg-mcp.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const child = spawn(
      nginxBinary,
      ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = `https://127.0.0.1:${port}`;
    const stop = async () => {
      // SIGTERM: the master stops its workers before it exits (SIGKILL would orphan them).
      await stopProcess(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${log}`);
          return (await trustingFetch(`${url}/healthz`).catch(() => undefined))?.ok;
        },
        { what: 'nginx to proxy /healthz over TLS', timeoutMs: 10_000, intervalMs: 50 },
      );
    } catch (err) {
      await stop();
      throw err;
    }
    return {
      url,
      child,
      log: () => log,
      accessLog: async () => (await readFile(accessLog, 'utf8').catch(() => '')).split('\n').filter(Boolean),
      stop,
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
