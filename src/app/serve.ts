// HTTP hosting: the shared express app (legacy SSE + Streamable HTTP) on one listener — plain
// HTTP, or HTTPS with --tls-cert/--tls-key (reloaded on change, TLS 1.2 at least) — plus the
// optional --metrics-port listener, and the graceful stop on SIGTERM/SIGINT: readiness fails
// first, calls in flight finish, streams close, the listeners close, exit 0. A second signal
// skips the wait.
import { createServer as createNodeServer, type Server, type ServerOptions } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authConfigured, type Config } from '../config.js';
import { isLoopbackHost } from '../loopback.js';
import { createHttpApp, type HttpAppHandle, type HttpAppOptions, type HttpConfig } from './app.js';
import type { ContentWatcher } from '../guards/file-watch.js';
import type { ServerDeps } from '../kit/deps.js';
import { listen } from './listen.js';
import { startMetricsServer } from './metrics-route.js';
import { collectProcessMetrics } from '../metrics.js';
import { ROUTES } from '../protocol/routes.js';
import { loadTls, reloadTlsOnChange } from './tls.js';

export interface RunningHttpServer {
  /** http(s)://host:port, with the port actually bound (useful with port 0). */
  url: string;
  port: number;
  server: Server;
  handle: HttpAppHandle;
  /** http://host:port/metrics of the --metrics-port listener, when there is one. */
  metricsUrl?: string;
  /** Drains (see HttpAppHandle.drain), then closes the listener. Resolves true when nothing was cut short. Idempotent. */
  shutdown(signal?: AbortSignal): Promise<boolean>;
}

// How long the start waits for Redis (shared rate limits, the session relay) before serving without it.
const REDIS_WAIT_MS = 3000;

// After the drain every stream has ended; a response still being written gets this long.
const LINGER_MS = 1000;

export async function startHttpServer(deps: ServerDeps, config: HttpConfig, options: HttpAppOptions = {}): Promise<RunningHttpServer> {
  const logger = options.logger ?? deps.logger;
  // The metrics are made on first use (metrics.ts); a server counts from its start. The tool
  // list's JSON Schemas are not warmed here: that cost 5-7 MiB of idle RSS (docs/benchmarks.md)
  // for ~50 ms once, which the first session paid before as well.
  collectProcessMetrics();
  if (!authConfigured(config)) {
    logger.warn(
      { host: config.host },
      isLoopbackHost(config.host)
        ? 'no authentication configured: any local process can use this server (set AUTH_TOKENS or --auth-tokens-file)'
        : 'no authentication configured (--insecure-no-auth): whatever is in front of this server must authenticate',
    );
  }
  // Everything that can be misconfigured is loaded before anything listens: a missing tokens
  // file, a bad certificate or key, impersonation without support stop the start (exit 2).
  let tls: ReturnType<typeof loadTls> | undefined;
  let created: ReturnType<typeof createHttpApp>;
  try {
    tls = config.tls ? loadTls(config.tls) : undefined;
    created = createHttpApp(deps, config, options);
  } catch (err) {
    throw new StartupError(err instanceof Error ? err.message : String(err));
  }
  const { app, handle } = created;
  if (config.redisUrl) {
    const [limitsReady, relayReady] = await Promise.all([handle.security.limits.ready(REDIS_WAIT_MS), handle.relay?.ready(REDIS_WAIT_MS) ?? true]);
    if (!limitsReady) logger.warn({ waitedMs: REDIS_WAIT_MS }, 'redis not reachable yet: rate limits are per process until it is');
    if (!relayReady) logger.warn({ waitedMs: REDIS_WAIT_MS }, 'redis not reachable yet: each session is served only by the replica holding it until it is');
    else if (handle.relay) logger.info({ replica: handle.relay.replica }, 'session relay ready: any replica serves any session');
  }
  const headersTimeout = config.headersTimeoutSec * 1000;
  const serverOptions: ServerOptions = {
    // Slowloris: a client must send its headers within headersTimeout and the whole request
    // within requestTimeout (not the response: streams stay open as long as they like).
    headersTimeout,
    requestTimeout: Math.max(headersTimeout, 60_000),
    // How often the timeouts above are checked (Node's default is 30 s, which would let a slow
    // client hold a socket up to 30 s past its deadline).
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, headersTimeout / 4)),
    // Idle keep-alive connections stay open longer than the proxies in front usually keep theirs
    // (nginx 60 s, cloud load balancers 60 s): with Node's 5 s default a proxy may reuse a
    // socket just as the server closes it, and the client sees a 502 (seen in the load runs).
    keepAliveTimeout: 65_000,
  };
  const server: Server = tls ? createTlsServer({ ...serverOptions, ...tls }, app) : createNodeServer(serverOptions, app);
  const responses = trackResponses(server);
  let tlsWatcher: ContentWatcher | undefined;
  let metricsServer: Server | undefined;
  try {
    await listen(server, config.port, config.host);
    if (tls) tlsWatcher = reloadTlsOnChange(server as import('node:https').Server, config.tls!, tls, logger, options.fileWatch);
    if (config.metricsPort !== undefined) metricsServer = await startMetricsServer(config.metricsPort, config.host);
  } catch (err) {
    tlsWatcher?.stop();
    server.close();
    await handle.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;

  let stopping: Promise<boolean> | undefined;
  const shutdown = (signal?: AbortSignal) =>
    (stopping ??= (async () => {
      const finished = await handle.drain(signal);
      tlsWatcher?.stop();
      await Promise.all([closeListener(server, responses), metricsServer && closePlain(metricsServer)]);
      return finished;
    })());
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    server,
    handle,
    ...(metricsPort !== undefined ? { metricsUrl: `http://${host}:${metricsPort}${ROUTES.metrics}` } : {}),
    shutdown,
  };
}

/** The configuration could not be put to use (as opposed to: the port could not be bound). */
export class StartupError extends Error {}

function closePlain(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Counts responses still being written, and tells when none is left. */
function trackResponses(server: Server): { active(): number; onIdle(fn: () => void): void } {
  let active = 0;
  const waiters = new Set<() => void>();
  // One listener for every response rather than a closure each, added with on() since a response
  // emits 'close' once (once() would wrap it anew for each): a stream may stay open for days.
  const closed = () => {
    if (--active === 0) for (const fn of waiters) fn();
  };
  server.on('request', (_req, res) => {
    active++;
    res.on('close', closed);
  });
  return { active: () => active, onIdle: (fn) => void waiters.add(fn) };
}

/**
 * Stops listening, then cuts every connection as soon as no response is being written: idle
 * keep-alive sockets, and sockets a client opened without sending a request yet, which
 * closeIdleConnections() leaves to the headers timeout.
 */
function closeListener(server: Server, responses: ReturnType<typeof trackResponses>): Promise<void> {
  return new Promise((resolve) => {
    const cut = () => server.closeAllConnections();
    const linger = setTimeout(cut, LINGER_MS);
    linger.unref();
    server.close(() => {
      clearTimeout(linger);
      resolve();
    });
    if (responses.active() === 0) cut();
    else {
      server.closeIdleConnections();
      responses.onIdle(cut);
    }
  });
}

/** Runs the HTTP transport until SIGTERM or SIGINT; returns the process exit code. */
export async function serveHttp(config: Config, deps: ServerDeps): Promise<number> {
  const { logger } = deps;
  let running: RunningHttpServer;
  try {
    running = await startHttpServer(deps, config.http);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`cnpg-mcp: cannot start: ${err.message}\n`);
      return 2;
    }
    const code = (err as NodeJS.ErrnoException).code;
    logger.error({ host: config.http.host, port: config.http.port, code }, 'cannot listen');
    return 1;
  }
  logger.info(
    {
      transport: 'http',
      url: running.url,
      streamable: `${running.url}${ROUTES.mcp}`,
      legacySse: `${running.url}${ROUTES.sse}`,
      ...(running.metricsUrl ? { metrics: running.metricsUrl } : {}),
    },
    `cnpg-mcp listening on ${running.url} (Streamable HTTP ${ROUTES.mcp}, legacy SSE ${ROUTES.sse})`,
  );

  return new Promise<number>((resolve) => {
    const hurry = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (hurry.signal.aborted) return;
      if (running.handle.isDraining()) {
        logger.warn({ signal }, 'second signal: closing without waiting for calls in flight');
        hurry.abort();
        return;
      }
      logger.info({ signal, shutdownTimeoutSec: config.http.shutdownTimeoutSec }, 'shutting down');
      void running.shutdown(hurry.signal).then(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        logger.info('stopped');
        resolve(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
