// Streamable HTTP at /mcp (POST, GET, DELETE), serving two protocol eras on one path:
//  - 2025 revisions (2025-11-25 and older): sessions. `initialize` opens one (Mcp-Session-Id),
//    each with its own McpServer and transport (session-transport.ts: JSON answers, SSE when a
//    call streams, an event store for Last-Event-ID); DELETE ends it.
//  - 2026-07-28: session-less. Each request carries its own protocol envelope and is answered by
//    a fresh McpServer through the SDK's createMcpHandler, driven from node:http (sessionless.ts).
// The SDK's isLegacyRequest decides which era a request belongs to (the same code the SDK's own
// entry runs, so the routing cannot disagree with it).
// A session belongs to the principal that opened it: anyone else's requests with its
// Mcp-Session-Id get 404, exactly as for an unknown session (issue #5). With --redis-url a request
// for a session held by another replica is relayed there (src/relay/, issue #6): POST, DELETE
// and the GET stream alike, so any replica serves any session.
import { randomUUID } from 'node:crypto';
import { SUPPORTED_PROTOCOL_VERSIONS, createMcpHandler, isInitializeRequest, type McpHttpHandler } from '@modelcontextprotocol/server';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { observeTransport } from '../sessions/activity.js';
import { requireJsonPost } from '../protocol/body.js';
import type { HttpContext } from '../sessions/context.js';
import { envelopeOf } from '../protocol/envelope.js';
import { methodNotAllowed, refuse, sendJsonRpcError } from '../protocol/errors.js';
import { ROUTES } from '../protocol/routes.js';
import { depsForPrincipal } from '../sessions/impersonation.js';
import { ANONYMOUS, principalFromAuthInfo, principalOf } from '../sessions/principal.js';
import type { Session } from '../sessions/registry.js';
import { createServer, subscriptionsOf } from '../mcp/server.js';
import { CacheEventBus, listenRefusal } from './listen-bus.js';
import { StreamableSessionTransport } from './session-transport.js';
import { isSessionlessPost, notingAnswers, serveSessionless, webRequestOf } from './sessionless.js';

const MCP_METHODS = ['GET', 'POST', 'DELETE'] as const;

export interface StreamableRoutes {
  router: Router;
  /** Aborts session-less exchanges still running (sessions are closed through the registry). */
  close(): Promise<void>;
}

export function streamableRoutes(ctx: HttpContext): StreamableRoutes {
  const keepAliveMs = ctx.config.keepaliveIntervalSec * 1000;
  // serveSessionless passes req.auth on as authInfo, which carries the principal (auth.ts).
  const modern: McpHttpHandler = createMcpHandler(
    // Each answer is noted on its exchange's response, for the audit line (a tool's failure is answered 200).
    ({ authInfo, requestInfo }) =>
      notingAnswers(createServer(depsForPrincipal(ctx.deps, ctx.config.auth.impersonate, principalFromAuthInfo(authInfo))), requestInfo),
    {
      // 2025-era traffic never reaches this handler: it is routed to the sessions below.
      legacy: 'reject',
      // subscriptions/listen streams are told of cluster changes from the shared watch cache.
      bus: new CacheEventBus(() => subscriptionsOf(ctx.deps)),
      keepAliveMs,
      onerror: (err) => ctx.logger.debug({ err: err.message }, 'streamable HTTP (2026) request refused or failed'),
    },
  );
  const handle: RequestHandler = async (req, res) => {
    // Proxies must not buffer the SSE answers; harmless on JSON ones.
    res.setHeader('X-Accel-Buffering', 'no');
    const sessionId = req.header('mcp-session-id');
    if (sessionId !== undefined) return serveSession(ctx, sessionId, req, res);
    // One Web Request per POST, for the era classification and, when session-less, the exchange.
    const abort = new AbortController();
    const request = req.method === 'POST' ? webRequestOf(req, abort.signal) : undefined;
    if (request && (await isSessionlessPost(request, req.body))) {
      const envelope = envelopeOf(req);
      if (ctx.isDraining()) return refuse.shuttingDown(res, envelope.replyId);
      const notListened = envelope.method === 'subscriptions/listen' ? listenRefusal(req.body, subscriptionsOf(ctx.deps)) : undefined;
      if (notListened) return sendJsonRpcError(res, 200, -32602, notListened, envelope.replyId);
      // A session-less exchange is over when its response is: its tool-call slots go with it.
      const slots = ctx.calls.acquire(envelope.toolCallIds.length);
      if (!slots) return refuse.tooManyCalls(res, envelope.replyId);
      // A 2026 `subscriptions/listen` stream stays open by design: it is not an in-flight call to wait for.
      const done = envelope.method === 'subscriptions/listen' ? () => {} : ctx.sessions.beginExchange();
      const finish = () => {
        done();
        for (const release of slots) release();
      };
      res.once('close', () => {
        // The client went away before its answer: the SDK aborts the exchange.
        if (!res.writableFinished) abort.abort();
        finish();
      });
      try {
        await serveSessionless(modern, request, abort, req, res);
      } catch (err) {
        ctx.logger.warn({ err: (err as Error).message }, 'streamable HTTP (2026) exchange failed');
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error', envelope.replyId);
        else res.end();
      } finally {
        finish();
      }
      return;
    }
    if (req.method === 'POST' && isInitializeRequest(req.body)) return openSession(ctx, req, res, keepAliveMs);
    refuse.invalidRequest(res, 'an Mcp-Session-Id header is required (send initialize first)', envelopeOf(req).replyId);
  };

  const router = Router();
  router.route(ROUTES.mcp).post(requireJsonPost, handle).get(handle).delete(handle).all(methodNotAllowed(MCP_METHODS));
  return { router, close: () => modern.close() };
}

/** A POST, GET or DELETE carrying Mcp-Session-Id (the relay's target app mounts it too). */
export function sessionRequest(ctx: HttpContext): RequestHandler {
  return async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    if (sessionId === undefined) return refuse.invalidRequest(res, 'an Mcp-Session-Id header is required', envelopeOf(req).replyId);
    await serveSession(ctx, sessionId, req, res);
  };
}

async function serveSession(ctx: HttpContext, sessionId: string, req: Request, res: Response): Promise<void> {
  const session = ctx.sessions.get(sessionId, (principalOf(req) ?? ANONYMOUS).key);
  if (!session && ctx.relay) return ctx.relay.forward(req, res, 'streamable', sessionId);
  if (!(session?.transport instanceof StreamableSessionTransport)) return refuse.sessionNotFound(res, envelopeOf(req).replyId);
  if (!protocolVersionAccepted(req, res)) return;
  if (ctx.isDraining() && req.method === 'POST' && envelopeOf(req).carriesRequest) return refuse.shuttingDown(res, envelopeOf(req).replyId);
  if (req.method === 'POST' && !holdCallSlots(ctx, session, req, res)) return;
  await session.transport.handleRequest(req, res, req.body);
}

/**
 * Takes a --max-concurrent-calls slot for each tools/call in the body, held until that call is
 * answered (on whichever stream); refuses the whole POST with 503 when they do not all fit.
 */
function holdCallSlots(ctx: HttpContext, session: Session, req: Request, res: Response): boolean {
  const { toolCallIds: ids, replyId } = envelopeOf(req);
  const slots = ctx.calls.acquire(ids.length);
  if (!slots) {
    refuse.tooManyCalls(res, replyId);
    return false;
  }
  slots.forEach((release, i) => {
    session.activity.holdUntilAnswered(ids[i]!, release);
    // Refused by the transport (bad headers, …): no answer will come to release it.
    res.once('finish', () => res.statusCode >= 400 && release());
  });
  return true;
}

async function openSession(ctx: HttpContext, req: Request, res: Response, keepAliveMs: number): Promise<void> {
  if (!protocolVersionAccepted(req, res)) return;
  if (ctx.isDraining()) return refuse.shuttingDown(res, envelopeOf(req).replyId);
  const principal = principalOf(req) ?? ANONYMOUS;
  const noRoom = ctx.sessions.roomFor(principal.key);
  if (noRoom === 'principal_full') return refuse.tooManyPrincipalSessions(res, envelopeOf(req).replyId);
  if (noRoom) return refuse.tooManySessions(res, envelopeOf(req).replyId);
  // The id is chosen here, not by the transport, so the slot can be held before initialize runs.
  // crypto.randomUUID(): 122 random bits, unguessable (a session id is not a credential here —
  // requests are authenticated and sessions bound to their principal — but it must not be
  // predictable either).
  const id = randomUUID();
  const transport = new StreamableSessionTransport({ sessionId: id, keepAliveMs, logger: ctx.logger });
  const server = createServer(depsForPrincipal(ctx.deps, ctx.config.auth.impersonate, principal));
  const session = ctx.sessions.open(id, 'streamable', principal.key, transport, () => server.close());
  if (!session) return refuse.tooManySessions(res, envelopeOf(req).replyId);
  observeTransport(transport, session.activity);
  transport.onclose = () => ctx.sessions.remove(id);
  try {
    // Before the initialize answer names the session: the client's next request may reach another replica.
    await session.announced;
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } finally {
    // The transport refused the initialize (bad headers, …) or failed: no session was established.
    if (transport.sessionId === undefined) {
      ctx.sessions.remove(id);
      await server.close();
    }
  }
}

/**
 * The SDK checks MCP-Protocol-Version on requests after initialize; this also covers the
 * initialize request itself, so a client naming a revision we do not serve learns it at once.
 */
function protocolVersionAccepted(req: Request, res: Response): boolean {
  const version = req.header('mcp-protocol-version');
  if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return true;
  sendJsonRpcError(
    res,
    400,
    -32000,
    `Bad Request: Unsupported protocol version (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    envelopeOf(req).replyId,
  );
  return false;
}
