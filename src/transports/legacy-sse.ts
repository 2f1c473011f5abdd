// Legacy HTTP+SSE transport (protocol 2024-11-05), for clients that predate Streamable HTTP:
//   GET  /sse                       opens the stream; the first event, `endpoint`, names where to POST
//   POST /messages?sessionId=<id>   delivers one client message; its answer arrives on the stream
// The stream is the session: when it closes, the session and its McpServer go with it. The
// session belongs to the principal that opened the stream: a POST by anyone else finds no
// session (404, as for an unknown id).
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, RequestId, TransportSendOptions } from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import { Router, type Request, type RequestHandler } from 'express';
import { observeTransport } from '../sessions/activity.js';
import { awaitAnswer, noteAnswer, noteOutcome, stopAwaiting } from '../protocol/answer-note.js';
import { requireJsonPost } from '../protocol/body.js';
import { envelopeOf } from '../protocol/envelope.js';
import type { HttpContext } from '../sessions/context.js';
import { methodNotAllowed, refuse } from '../protocol/errors.js';
import { ROUTES } from '../protocol/routes.js';
import { noteSession } from '../protocol/session-note.js';
import { depsForPrincipal } from '../sessions/impersonation.js';
import { startKeepalive, stopKeepalive } from './keepalive.js';
import { ANONYMOUS, principalOf } from '../sessions/principal.js';
import { createServer } from '../mcp/server.js';
import { overflowed, type StreamCap } from './stream-cap.js';

/**
 * The SDK's legacy transport, with what its stream may buffer for an unread client capped
 * (stream-cap.ts), and each answer noted on the POST that carried its request: that POST was
 * answered 202, and its audit line waits for what the answer said (protocol/answer-note.ts).
 */
class CappedSseTransport extends SSEServerTransport {
  cap: StreamCap | undefined;
  /** Request id → the response of the POST that delivered it, until its answer goes out. */
  private readonly posts = new Map<RequestId, ServerResponse>();

  constructor(
    endpoint: string,
    private readonly stream: ServerResponse,
  ) {
    super(endpoint, stream);
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!('method' in message) && message.id !== undefined) this.answered(message.id, message);
    await super.send(message, options);
    if (this.cap) overflowed(this.stream, this.cap);
  }

  /** The request `id` arrived on `post`: its answer's outcome is noted there. */
  awaitAnswerOn(id: RequestId, post: ServerResponse): void {
    // A client reusing an id that still awaits its answer: the earlier POST gets none noted.
    const earlier = this.posts.get(id);
    if (earlier) noteOutcome(earlier, 'unanswered');
    this.posts.set(id, post);
    awaitAnswer(post);
  }

  /** The request `id` was refused by the transport itself (its POST answered an HTTP error): no answer comes. */
  forgetAnswer(id: RequestId, post: ServerResponse): void {
    if (this.posts.get(id) === post) this.posts.delete(id);
    stopAwaiting(post);
  }

  /** The stream is gone: no awaited answer will come. */
  abandonAnswers(): void {
    for (const post of this.posts.values()) noteOutcome(post, 'unanswered');
    this.posts.clear();
  }

  private answered(id: RequestId, message: JSONRPCMessage): void {
    const post = this.posts.get(id);
    if (!post) return;
    this.posts.delete(id);
    noteAnswer(post, message);
  }
}

export function legacySseRoutes(ctx: HttpContext): Router {
  const router = Router();
  router
    .route(ROUTES.sse)
    .get(openStream(ctx))
    .all(methodNotAllowed(['GET']));
  router
    .route(ROUTES.messages)
    .post(requireJsonPost, deliverMessage(ctx))
    .all(methodNotAllowed(['POST']));
  return router;
}

function openStream(ctx: HttpContext): RequestHandler {
  return async (req, res) => {
    if (ctx.isDraining()) return refuse.shuttingDown(res);
    const principal = principalOf(req) ?? ANONYMOUS;
    const noRoom = ctx.sessions.roomFor(principal.key);
    if (noRoom === 'principal_full') return refuse.tooManyPrincipalSessions(res);
    if (noRoom) return refuse.tooManySessions(res);
    // nginx and similar proxies buffer responses unless told not to; a buffered stream is a dead one.
    res.setHeader('X-Accel-Buffering', 'no');
    // The transport names the session with crypto.randomUUID(): 122 random bits.
    const transport = new CappedSseTransport(ROUTES.messages, res);
    const server = createServer(depsForPrincipal(ctx.deps, ctx.config.auth.impersonate, principal));
    const session = ctx.sessions.open(transport.sessionId, 'sse', principal.key, transport, () => server.close());
    if (!session) return refuse.tooManySessions(res);
    noteSession(res, transport.sessionId);
    observeTransport(transport, session.activity);
    transport.onclose = () => {
      transport.abandonAnswers();
      stopKeepalive(res);
      ctx.sessions.remove(transport.sessionId);
    };
    transport.cap = { transport: 'sse', sessionId: transport.sessionId, logger: ctx.logger, endSession: () => void transport.close() };
    try {
      // Before the `endpoint` event names the session: its first POST may reach another replica.
      await session.announced;
      await server.connect(transport); // writes the headers and the `endpoint` event
    } catch (err) {
      ctx.sessions.remove(transport.sessionId);
      throw err;
    }
    // A client gone before the stream opened never fires 'close' on the response: end it here.
    if (req.socket.destroyed) return void (await server.close());
    startKeepalive(res, ctx.config.keepaliveIntervalSec * 1000);
    leaveRouting(req);
  };
}

/**
 * From here on the stream is the session's, and express will never route this request again;
 * but req.next holds the routers' `next` closures, and through them each router's state for this
 * request (~1.5 KB), for as long as the stream stays open. Dropped: an idle session keeps only
 * what it uses.
 */
function leaveRouting(req: Request): void {
  req.next = undefined;
}

/** POST /messages: one client message for a session, delivered here or relayed to the replica holding it. */
export function deliverMessage(ctx: HttpContext): RequestHandler {
  return async (req, res) => {
    // Express parses the query anew on every read of req.query: read once, and hand it to the audit line.
    const sessionId = req.query.sessionId;
    if (typeof sessionId !== 'string' || sessionId === '') return refuse.invalidRequest(res, 'the sessionId query parameter is required');
    noteSession(res, sessionId);
    const session = ctx.sessions.get(sessionId, (principalOf(req) ?? ANONYMOUS).key);
    if (!session && ctx.relay) return ctx.relay.forward(req, res, 'sse', sessionId);
    const envelope = envelopeOf(req);
    if (!(session?.transport instanceof CappedSseTransport)) return refuse.sessionNotFound(res, envelope.replyId);
    // Checked here so a bad message never reaches the SDK's answer, which echoes the body.
    if (envelope.kind === undefined) return refuse.invalidRequest(res, 'the body is not a JSON-RPC message', envelope.replyId);
    const message = req.body as JSONRPCMessage;
    if (ctx.isDraining() && envelope.kind === 'request') return refuse.shuttingDown(res, envelope.replyId);
    // A tool call holds a slot of --max-concurrent-calls until its answer goes out on the stream.
    const [callId] = envelope.toolCallIds;
    const slots = ctx.calls.acquire(callId === undefined ? 0 : 1);
    if (!slots) return refuse.tooManyCalls(res, callId);
    for (const release of slots) {
      session.activity.holdUntilAnswered(callId!, release);
      // Not accepted (the transport answered with an error): no answer will come to release it.
      res.once('finish', () => res.statusCode !== 202 && release());
    }
    const { transport } = session;
    const id = envelope.kind === 'request' ? (message as { id: RequestId }).id : undefined;
    if (id !== undefined) {
      transport.awaitAnswerOn(id, res);
      res.once('finish', () => res.statusCode !== 202 && transport.forgetAnswer(id, res));
    }
    await transport.handlePostMessage(req, res, message);
  };
}
