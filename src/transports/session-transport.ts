// The MCP transport of one Streamable HTTP session (protocol revisions up to 2025-11-25), written
// straight onto node:http's request and response. The SDK's own session transport is built on Web
// Request/Response objects, which under Node means converting every request and response through
// an adapter, and it answers every POST with an SSE stream of at least three writes; in the load
// profiles those two were most of the cost of a call (docs/benchmarks.md). This one:
//  - answers a POST whose requests produce nothing but their answers with one JSON body (one
//    write). The specification lets the server choose JSON or an SSE stream for each POST.
//  - switches that POST to an SSE stream as soon as anything else must go out first (progress, a
//    log message, a request to the client), when a request asked for progress (it carries a
//    progressToken: it gets a resumable stream from the start), or when no answer is ready after
//    the keep-alive interval (so proxies see bytes and the client can resume).
//  - keeps what it sent on SSE streams in a per-session event store, so a client reconnecting with
//    Last-Event-ID gets what it missed (GET stream and POST streams alike).
// Everything before the transport (authentication, the session lookup by owner, the body limit
// and its parse) happens in the routes: the body arrives parsed.
import {
  DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type AuthInfo,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { Deadlines } from './deadlines.js';
import { sendJsonRpcError } from '../protocol/errors.js';
import { MemoryEventStore, PRIMING } from './event-store.js';
import { envelopeOf, parseEnvelope } from '../protocol/envelope.js';
import { noteAnswer } from '../protocol/answer-note.js';
import { KEEPALIVE_COMMENT, startKeepalive, stopKeepalive } from './keepalive.js';
import type { Logger } from '../log.js';
import { overflowed } from './stream-cap.js';

/** The SDK's bound on one batch, kept so both transports refuse the same bodies. */
const MAX_BATCH = 100;
/**
 * The stream id of the session's GET stream in the event store. POST streams are numbered: ids
 * need only be unique within the session, whose own store holds them (a UUID cost ~3 µs per POST).
 */
const STANDALONE = 'get';
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' };

/** One POST that carried requests: its response, and the answers it still waits for. */
class Exchange {
  /** The requests' answers in request order; undefined until sent. */
  readonly answers = new Map<RequestId, JSONRPCMessage | undefined>();
  /** Undefined once the exchange is over or its client went away. */
  res: Response | undefined;
  streaming = false;

  constructor(
    readonly transport: StreamableSessionTransport,
    readonly streamId: string,
    res: Response,
    /** The body was an array: the JSON answer is one too (JSON-RPC batch). */
    readonly batch: boolean,
  ) {
    this.res = res;
  }

  get complete(): boolean {
    for (const answer of this.answers.values()) if (answer === undefined) return false;
    return true;
  }

  /** Stops waiting for the upgrade deadline and, once streaming, the keep-alive comments. */
  quiet(): void {
    lateAnswers.get(this.transport.keepAliveMs)?.delete(this);
    if (this.streaming && this.res) stopKeepalive(this.res);
  }
}

// The POSTs still waiting for their answers, per keep-alive interval: one timer for all of them.
const lateAnswers = new Map<number, Deadlines<Exchange>>();

function upgradeWhenLate(exchange: Exchange, ms: number): void {
  let deadlines = lateAnswers.get(ms);
  if (!deadlines) {
    deadlines = new Deadlines(ms, (late) => late.transport.answerIsLate(late));
    lateAnswers.set(ms, deadlines);
  }
  deadlines.add(exchange);
}

export interface SessionTransportOptions {
  /** The id the session gets once its initialize is accepted. */
  sessionId: string;
  /** SSE keep-alive comment interval, and how long a POST waits before it becomes a stream; 0: never. */
  keepAliveMs: number;
  /** Where a stream ended for an unread client is logged (stream-cap.ts); without one, streams are not capped. */
  logger?: Logger;
}

export class StreamableSessionTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private versions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  /** The revision the client speaks: decides whether it understands a priming event. */
  private clientVersion = DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
  private closed = false;
  private posts = 0;
  private readonly events = new MemoryEventStore();
  private readonly byRequest = new Map<RequestId, Exchange>();
  private readonly byStream = new Map<string, Exchange>();
  private standalone: Response | undefined;

  constructor(private readonly options: SessionTransportOptions) {}

  get keepAliveMs(): number {
    return this.options.keepAliveMs;
  }

  /** No answer after the keep-alive interval: the POST becomes a stream, so bytes keep flowing. */
  answerIsLate(exchange: Exchange): void {
    this.openStream(exchange, KEEPALIVE_COMMENT);
  }

  async start(): Promise<void> {}

  /** Called by the SDK's Server on connect(). */
  setSupportedProtocolVersions(versions: string[]): void {
    this.versions = versions;
  }

  /** Serves one POST, GET or DELETE of this session. `body` is the parsed JSON of a POST. */
  async handleRequest(req: Request, res: Response, body?: unknown): Promise<void> {
    if (this.closed) return sendJsonRpcError(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') return this.post(req, res, body);
    if (req.method === 'GET') return this.get(req, res);
    if (req.method === 'DELETE') return this.delete(req, res);
    sendJsonRpcError(res, 405, -32000, 'Method not allowed.', null, { Allow: 'GET, POST, DELETE' });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResponse = !('method' in message);
    const requestId = isResponse ? (message as { id: RequestId }).id : options?.relatedRequestId;
    if (requestId === undefined) return this.sendUnrelated(message);
    const exchange = this.byRequest.get(requestId);
    if (!exchange) throw new Error(`no request ${String(requestId)} of this session awaits anything`);
    if (!isResponse) {
      // Something must reach the client before the answer: the POST becomes a stream.
      this.emit(exchange, message);
      return;
    }
    this.byRequest.delete(requestId);
    exchange.answers.set(requestId, message);
    // For the audit line: a tool's failure is in its answer, not in the HTTP status.
    if (exchange.res) noteAnswer(exchange.res, message);
    if (exchange.streaming) this.emit(exchange, message);
    if (exchange.complete) this.finish(exchange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of this.byStream.values()) {
      exchange.quiet();
      const { res } = exchange;
      exchange.res = undefined;
      // A stream just ends; a POST still waiting for its JSON answer learns why none will come.
      if (res && !res.headersSent) sendJsonRpcError(res, 404, -32001, 'Session not found');
      else res?.end();
    }
    this.byStream.clear();
    this.byRequest.clear();
    if (this.standalone) {
      stopKeepalive(this.standalone);
      this.standalone.end();
      this.standalone = undefined;
    }
    this.onclose?.();
  }

  private post(req: Request, res: Response, body: unknown): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return sendJsonRpcError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    const batch = Array.isArray(body);
    const messages = (batch ? body : [body]) as JSONRPCMessage[];
    if (messages.length === 0 || messages.length > MAX_BATCH) {
      return sendJsonRpcError(res, 400, -32600, `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`);
    }
    // The body the request carried in (the route hands it on unchanged): its envelope is already parsed.
    const kinds = (body === req.body ? envelopeOf(req) : parseEnvelope(body)).kinds;
    if (kinds.includes(undefined)) return sendJsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');

    const initialize = messages.find((m, i) => kinds[i] === 'request' && (m as { method: string }).method === 'initialize');
    if (initialize) {
      if (this.sessionId !== undefined) return sendJsonRpcError(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return sendJsonRpcError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      const version = (initialize as { params?: { protocolVersion?: unknown } }).params?.protocolVersion;
      if (typeof version === 'string') this.clientVersion = version;
      this.sessionId = this.options.sessionId;
    } else if (!this.headersValid(req, res)) return;

    const extra = extraOf(req);
    if (!kinds.includes('request')) {
      for (const message of messages) this.onmessage?.(message, extra);
      res.status(202).end();
      return;
    }
    const ids = messages.filter((_, i) => kinds[i] === 'request').map((m) => (m as { id: RequestId }).id);
    if ((ids.length > 1 && new Set(ids).size < ids.length) || ids.some((id) => this.byRequest.has(id))) {
      return sendJsonRpcError(res, 400, -32600, 'Invalid Request: a request id is already awaiting its answer in this session');
    }

    const exchange = new Exchange(this, `p${++this.posts}`, res, batch);
    for (const id of ids) {
      exchange.answers.set(id, undefined);
      this.byRequest.set(id, exchange);
    }
    this.byStream.set(exchange.streamId, exchange);
    res.on('close', () => this.detach(exchange, res));
    if (messages.some(asksForProgress)) this.openStream(exchange, '');
    else if (this.options.keepAliveMs > 0) upgradeWhenLate(exchange, this.options.keepAliveMs);
    for (const message of messages) this.onmessage?.(message, extra);
  }

  private get(req: Request, res: Response): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return sendJsonRpcError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (!this.headersValid(req, res)) return;
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId === 'string' && lastEventId !== '') return this.resume(lastEventId, res);
    if (this.standalone) return sendJsonRpcError(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    this.attachStandalone(res, '');
  }

  private delete(req: Request, res: Response): void {
    if (!this.headersValid(req, res)) return;
    res.status(200).end();
    void this.close();
  }

  /** A client reconnecting with Last-Event-ID: what its stream missed, then the stream again while it lasts. */
  private resume(lastEventId: string, res: Response): void {
    const streamId = this.events.streamOf(lastEventId);
    if (streamId === undefined) return sendJsonRpcError(res, 400, -32000, 'Invalid event ID format');
    const exchange = streamId === STANDALONE ? undefined : this.byStream.get(streamId);
    if (streamId === STANDALONE ? this.standalone : exchange?.res) {
      return sendJsonRpcError(res, 409, -32000, 'Conflict: Stream already has an active connection');
    }
    let missed = '';
    this.events.replayAfter(lastEventId, (eventId, message) => (missed += sseEvent(message, eventId)));
    if (streamId === STANDALONE) return this.attachStandalone(res, missed);
    if (!exchange) {
      // Every answer of that POST was sent: replay, and the stream is over.
      res.writeHead(200, this.sseHeaders());
      res.end(missed);
      return;
    }
    exchange.res = res;
    exchange.streaming = false;
    res.on('close', () => this.detach(exchange, res));
    this.openStream(exchange, missed);
  }

  private attachStandalone(res: Response, first: string): void {
    res.writeHead(200, this.sseHeaders());
    if (first) res.write(first);
    else res.flushHeaders();
    this.keepalive(res);
    this.standalone = res;
    res.on('close', () => {
      stopKeepalive(res);
      if (this.standalone === res) this.standalone = undefined;
    });
  }

  /** A message related to no request (a list change, a log line): the GET stream's, when one is open. */
  private sendUnrelated(message: JSONRPCMessage): void {
    if (!('method' in message)) throw new Error('a response must answer a request of this session');
    const eventId = this.events.store(STANDALONE, message);
    if (!this.standalone) return;
    this.standalone.write(sseEvent(message, eventId));
    this.capped(this.standalone);
  }

  /** Sends a message on the exchange's stream (opening it first if the POST was still waiting). */
  private emit(exchange: Exchange, message: JSONRPCMessage): void {
    const event = sseEvent(message, this.events.store(exchange.streamId, message));
    if (!exchange.streaming) this.openStream(exchange, event);
    else exchange.res?.write(event);
    if (exchange.res) this.capped(exchange.res);
  }

  /** A stream whose client stopped reading ends the session once its unread data passes the cap. */
  private capped(res: Response): void {
    const { logger } = this.options;
    if (logger && this.sessionId) overflowed(res, { transport: 'streamable', sessionId: this.sessionId, logger, endSession: () => void this.close() });
  }

  /** Turns the exchange's response into an SSE stream; `first` goes out in the same write as the head. */
  private openStream(exchange: Exchange, first: string): void {
    const { res } = exchange;
    if (exchange.streaming || !res) return;
    exchange.quiet();
    exchange.streaming = true;
    // A priming event (an id, no data) lets the client resume even before the first message;
    // clients older than 2025-11-25 cannot parse an event without data.
    const priming = this.primes() ? `id: ${this.events.store(exchange.streamId, PRIMING)}\ndata: \n\n` : '';
    res.writeHead(200, this.sseHeaders());
    res.write(priming + first);
    this.keepalive(res);
  }

  /** Every request of the exchange is answered: one JSON body, or the end of its stream. */
  private finish(exchange: Exchange): void {
    exchange.quiet();
    this.byStream.delete(exchange.streamId);
    const { res } = exchange;
    exchange.res = undefined;
    if (!res) return;
    if (exchange.streaming) {
      res.end();
      return;
    }
    const answers = [...exchange.answers.values()];
    const body = JSON.stringify(exchange.batch ? answers : answers[0]);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Mcp-Session-Id': this.sessionId! });
    res.end(body);
  }

  /**
   * The response closed. After finish() that is the normal end; before it the client went away:
   * answers still to come are kept in the event store when the exchange was a stream (the client
   * can resume it), and dropped otherwise.
   */
  private detach(exchange: Exchange, res: Response): void {
    if (exchange.res !== res) return;
    exchange.quiet();
    exchange.res = undefined;
  }

  private keepalive(res: Response): void {
    if (this.options.keepAliveMs > 0) startKeepalive(res, this.options.keepAliveMs);
  }

  private sseHeaders(): Record<string, string> {
    return { ...SSE_HEADERS, 'Mcp-Session-Id': this.sessionId! };
  }

  private primes(): boolean {
    return this.versions.includes(this.clientVersion) && this.clientVersion >= '2025-11-25';
  }

  /** After initialize: the session must be initialized and the protocol version one we serve. */
  private headersValid(req: Request, res: Response): boolean {
    if (this.sessionId === undefined) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: Server not initialized');
      return false;
    }
    if (req.headers['mcp-session-id'] !== this.sessionId) {
      sendJsonRpcError(res, 404, -32001, 'Session not found');
      return false;
    }
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string') {
      if (!this.versions.includes(version)) {
        sendJsonRpcError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${this.versions.join(', ')})`);
        return false;
      }
      this.clientVersion = version;
    }
    return true;
  }
}

function asksForProgress(message: JSONRPCMessage): boolean {
  return (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !== undefined;
}

function extraOf(req: Request): MessageExtraInfo {
  // auth.ts sets req.auth; the SDK hands it to handlers as ctx.http.authInfo.
  const authInfo = (req as { auth?: AuthInfo }).auth;
  return authInfo ? { authInfo } : {};
}

function sseEvent(message: JSONRPCMessage, eventId: string): string {
  return `event: message\nid: ${eventId}\ndata: ${JSON.stringify(message)}\n\n`;
}
