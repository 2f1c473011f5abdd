// The express app both HTTP transports share, in the order a request meets it:
//   request metrics → health probes, RFC 9728 metadata (unguarded) → guards (declared in
//   guards.ts) → /metrics, MCP routes → 404 → final error handler.
// The handle returned beside the app owns the sessions, the security pieces and the drain.
// With --redis-url it also owns the session relay (relay/relay.ts, issue #6), which runs the
// requests other replicas took for this replica's sessions through relayTarget() below.
import express, { type Express } from 'express';
import type { Logger } from '../log.js';
import type { ServerDeps } from '../kit/deps.js';
import { deliverMessage, legacySseRoutes } from '../transports/legacy-sse.js';
import { sessionRequest, streamableRoutes } from '../transports/streamable.js';
import { ROUTES } from '../protocol/routes.js';
import type { AuditSink } from '../guards/audit.js';
import { requireJsonPost } from '../protocol/body.js';
import { CallLimiter } from '../sessions/concurrency.js';
import type { HttpContext } from '../sessions/context.js';
import { finalErrorHandler, notFound } from '../protocol/errors.js';
import type { FileWatchOptions } from '../guards/file-watch.js';
import type { HttpConfig } from '../config.js';
import { declaredGuards, type Guard, type GuardContext } from '../guards/chain.js';
import { healthRoutes } from './health.js';
import { checkImpersonation } from '../sessions/impersonation.js';
import { httpMetrics, serveMetrics } from './metrics-route.js';
import { ReadinessProbe, type ReadinessOptions } from './readiness.js';
import { SessionRelay, type RelayTimings } from '../relay/relay.js';
import { HttpSecurity } from '../guards/security.js';
import { forPathsUnder, sequence } from './sequence.js';
import { SessionRegistry } from '../sessions/registry.js';
import { wellKnownRoutes } from './well-known.js';

export type { HttpConfig } from '../config.js';
export type { Guard } from '../guards/chain.js';

export interface HttpAppOptions {
  /** Defaults to deps.logger. */
  logger?: Logger;
  /**
   * Builds the guard chain from the declared defaults (see guards.ts for the intended order).
   * Default: the declared list unchanged. Use insertGuard() to place a guard by name.
   */
  guards?: (declared: Guard[], ctx: GuardContext) => Guard[];
  readiness?: ReadinessOptions;
  /** Receives the audit log lines instead of stdout or --audit-log (specs). */
  auditSink?: AuditSink;
  /** How the tokens file is watched (specs shorten the poll or turn fs events off). */
  fileWatch?: FileWatchOptions;
  /** With --redis-url: the relay's timings (specs shorten them). */
  relayTimings?: Partial<RelayTimings>;
}

export interface HttpAppHandle {
  /** Open MCP sessions (legacy SSE and Streamable HTTP together). */
  sessionCount(): number;
  /** Client requests received and not yet answered, across all sessions and session-less exchanges. */
  inflightRequests(): number;
  /** True once drain() was called. */
  isDraining(): boolean;
  /**
   * Graceful stop, step one: readiness fails ("shutting down"), new sessions and new requests
   * get 503, calls in flight may finish until shutdownTimeoutSec (or `signal`), then every
   * session is closed, which ends its streams. Resolves true when nothing was cut short.
   * The HTTP listener is the caller's to close afterwards. Idempotent.
   */
  drain(signal?: AbortSignal): Promise<boolean>;
  /** Closes every session and stops timers at once, without waiting. Idempotent. */
  close(): Promise<void>;
  /** The authentication, rate-limit and audit pieces (specs reach the token source through it). */
  security: HttpSecurity;
  /** The session relay between replicas, with --redis-url. */
  relay?: SessionRelay;
}

export interface HttpApp {
  app: Express;
  handle: HttpAppHandle;
}

/** The answer to a call still running at the shutdown deadline: it may have taken effect. */
const CUT_BY_SHUTDOWN = {
  code: -32000,
  message: 'Server is shutting down: this call did not finish before the shutdown deadline and was cut off; it may have taken effect, check before retrying',
};

export function createHttpApp(deps: ServerDeps, config: HttpConfig, options: HttpAppOptions = {}): HttpApp {
  const logger = options.logger ?? deps.logger;
  checkImpersonation(deps, config.auth.impersonate);
  // First: it is what can fail (tokens file, audit log), before anything else holds resources.
  const security = HttpSecurity.create(config, logger, {
    ...(options.auditSink ? { auditSink: options.auditSink } : {}),
    ...(options.fileWatch ? { fileWatch: options.fileWatch } : {}),
  });
  let draining = false;
  const relay = config.redisUrl
    ? new SessionRelay({
        redisUrl: config.redisUrl,
        logger,
        keepaliveIntervalSec: config.keepaliveIntervalSec,
        ...(options.relayTimings ? { timings: options.relayTimings } : {}),
      })
    : undefined;
  const sessions = new SessionRegistry({
    maxSessions: config.maxSessions,
    maxPerOwner: config.maxSessionsPerPrincipal,
    idleTimeoutMs: config.sessionIdleTimeoutSec * 1000,
    logger,
    ...(relay ? { announcer: relay.directory } : {}),
  });
  const local: HttpContext = { deps, config, sessions, calls: new CallLimiter(config.maxConcurrentCalls), logger, isDraining: () => draining };
  const ctx: HttpContext = relay ? { ...local, relay } : local;
  relay?.start({
    target: relayTarget(local),
    sessions: () => sessions.all(),
    beginExchange: () => sessions.beginExchange(),
    isDraining: () => draining,
  });
  // async: deps.cnpg() throws synchronously when there is no kubeconfig.
  const probe = new ReadinessProbe(async () => deps.cnpg().ping(), options.readiness);
  const guardContext: GuardContext = { config, logger, security };
  const declared = declaredGuards(guardContext);
  const guards = options.guards ? options.guards(declared, guardContext) : declared;
  const streamable = streamableRoutes(ctx);

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);
  // Layers are few on purpose (sequence.ts): the order is the one above.
  app.use(
    sequence([
      httpMetrics,
      (_req, res, next) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        next();
      },
      forPathsUnder(
        [ROUTES.live[1], ROUTES.ready],
        healthRoutes(probe, () => draining),
      ),
      forPathsUnder(
        [ROUTES.wellKnown],
        wellKnownRoutes({ resourceUrl: config.auth.resourceUrl, issuer: config.auth.oidc?.issuer, allowQueryToken: config.auth.allowQueryToken }),
      ),
    ]),
  );
  app.use(sequence(guards.map((guard) => guard.handle)));
  // With --metrics-port, /metrics lives there (unauthenticated) and the main port has none.
  if (config.metricsPort === undefined) app.get(ROUTES.metrics, serveMetrics);
  app.use(forPathsUnder([ROUTES.mcp], streamable.router));
  app.use(forPathsUnder([ROUTES.sse, ROUTES.messages], legacySseRoutes(ctx)));
  app.use(notFound);
  app.use(finalErrorHandler(logger));

  let drained: Promise<boolean> | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      draining = true;
      sessions.dispose();
      await Promise.allSettled([sessions.closeAll(), streamable.close()]);
      // After closeAll: the sessions' records are withdrawn before the connection goes.
      await relay?.close();
      await security.close();
    })());

  const handle: HttpAppHandle = {
    sessionCount: () => sessions.count,
    inflightRequests: () => sessions.inflight,
    isDraining: () => draining,
    drain: (signal) =>
      (drained ??= (async () => {
        draining = true;
        logger.info({ sessions: sessions.count, inflight: sessions.inflight }, 'draining: refusing new sessions, waiting for calls in flight');
        const finished = await sessions.whenIdle(config.shutdownTimeoutSec * 1000, signal);
        if (!finished) {
          logger.warn({ inflight: sessions.inflight }, 'drain deadline reached; closing with calls still in flight');
          // Each cut call gets an answer to its own id before its session goes (issue #12, item 12).
          await sessions.answerOpenRequests(CUT_BY_SHUTDOWN);
        }
        await close();
        return finished;
      })()),
    close,
    security,
    ...(relay ? { relay } : {}),
  };
  return { app, handle };
}

/**
 * The session routes alone, for requests another replica took for a session held here (the relay
 * runs them in-process). No guards: the replica that took the request ran them — authentication,
 * rate limits, audit, body limit — and the relay sets the principal it established. `local`
 * has no relay, so a request that finds no session here ends in 404 and never travels again.
 */
function relayTarget(local: HttpContext): Express {
  const target = express();
  target.disable('x-powered-by');
  target.post(ROUTES.messages, requireJsonPost, deliverMessage(local));
  target.all(ROUTES.mcp, requireJsonPost, sessionRequest(local));
  target.use(notFound);
  target.use(finalErrorHandler(local.logger));
  return target;
}
