// HTTP hosting: the shared express app (legacy SSE + Streamable HTTP) on one listener, and the
// graceful stop on SIGTERM/SIGINT — readiness fails first, calls in flight finish, streams
// close, the listener closes, exit 0. A second signal skips the wait.
import { createServer as createNodeServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { createHttpApp, type HttpAppHandle, type HttpAppOptions, type HttpConfig } from '../http/app.js';
import type { ServerDeps } from '../mcp/server.js';
import { SSE_PATH } from './legacy-sse.js';
import { MCP_PATH } from './streamable.js';

export interface RunningHttpServer {
  /** http://host:port, with the port actually bound (useful with port 0). */
  url: string;
  port: number;
  server: Server;
  handle: HttpAppHandle;
  /** Drains (see HttpAppHandle.drain), then closes the listener. Resolves true when nothing was cut short. Idempotent. */
  shutdown(signal?: AbortSignal): Promise<boolean>;
}

// After the drain every stream has ended; a response still being written gets this long.
const LINGER_MS = 1000;

export async function startHttpServer(deps: ServerDeps, config: HttpConfig, options: HttpAppOptions = {}): Promise<RunningHttpServer> {
  const { app, handle } = createHttpApp(deps, config, options);
  const server = createNodeServer(app);
  const responses = trackResponses(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopping: Promise<boolean> | undefined;
  const shutdown = (signal?: AbortSignal) =>
    (stopping ??= (async () => {
      const finished = await handle.drain(signal);
      await closeListener(server, responses);
      return finished;
    })());
  return { url: `http://${host}:${port}`, port, server, handle, shutdown };
}

/** Counts responses still being written, and tells when none is left. */
function trackResponses(server: Server): { active(): number; onIdle(fn: () => void): void } {
  let active = 0;
  const waiters = new Set<() => void>();
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => {
      if (--active === 0) for (const fn of waiters) fn();
    });
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
    const code = (err as NodeJS.ErrnoException).code;
    logger.error({ host: config.http.host, port: config.http.port, code }, 'cannot listen');
    return 1;
  }
  logger.info(
    { transport: 'http', url: running.url, streamable: `${running.url}${MCP_PATH}`, legacySse: `${running.url}${SSE_PATH}` },
    `cnpg-mcp listening on ${running.url} (Streamable HTTP ${MCP_PATH}, legacy SSE ${SSE_PATH})`,
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
