// The relay's owner side (issue #6): requests for sessions this replica holds, taken by another
// replica and published to this one's channel. Each is run through the session routes exactly as
// a local request would be — the same session lookup bound to the principal, the same protocol
// checks, tool-call limits and drain refusals — on an in-process HTTP server (inject.ts), and its
// response is published back frame by frame (head, chunks, end) to the replica that took it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import { answerAwaited, answerOutcome } from '../protocol/answer-note.js';
import { ROUTES } from '../protocol/routes.js';
import { setPrincipal, toAuthInfo, type Principal } from '../sessions/principal.js';
import { MAX_CHUNK_BYTES, forwardedRequestHeaders, forwardedResponseHeaders, type RelayFailure, type RelayRequest, type ReplyFrame } from './codec.js';
import { Injector } from './inject.js';
import { relayedRequests, relaysInFlight } from './metrics.js';

// Carries the ticket from serve() to enter(). Only inject() reaches the in-process server, so no
// client can ever send it.
const TICKET_HEADER = 'x-cnpg-mcp-relay-ticket';

// Published but not yet acknowledged bytes one response may have before it is paused: Redis and
// the replica streaming it to the client set the pace, not this replica's memory.
const WINDOW_BYTES = 1024 * 1024;

interface Ticket {
  principal: Principal;
  body: unknown;
  /** The response the session routes answer on; its noted answer travels back for the audit line. */
  served?: ServerResponse;
}

export interface RelayOwnerOptions {
  /** The session routes (app.ts builds them): they see the principal as the auth guard would set it. */
  target: RequestListener;
  /** Publishes a frame to replica `to`; resolves to the number of subscribers that received it. */
  reply(to: string, frame: ReplyFrame): Promise<number>;
  /** Largest answer relayed for a POST or DELETE; a GET stream is not bounded (it lives as long as the client wants). */
  maxResponseBytes: number;
  logger: Logger;
}

type ServedOutcome = 'ok' | 'cancelled' | 'receiver_gone' | 'bad_request' | 'too_large' | 'failed';

export class RelayOwner {
  private readonly tickets = new Map<string, Ticket>();
  /** Exchange id → its abort. */
  private readonly exchanges = new Map<string, () => void>();
  private readonly injector: Injector;
  /** Set while settled() waits. */
  private whenSettled: (() => void) | undefined;

  constructor(private readonly options: RelayOwnerOptions) {
    this.injector = new Injector((req, res) => this.enter(req, res));
  }

  get active(): number {
    return this.exchanges.size;
  }

  serve(frame: RelayRequest): void {
    if (this.exchanges.has(frame.id)) return;
    const send = (reply: ReplyFrame) => this.options.reply(frame.from, reply);
    const refuse = (reason: RelayFailure) => {
      send({ type: 'error', id: frame.id, reason }).catch(() => undefined);
      relayedRequests.inc({ role: 'served', transport: frame.kind, outcome: reason });
    };
    let body: unknown;
    try {
      body = frame.body ? JSON.parse(frame.body.toString('utf8')) : undefined;
    } catch {
      return refuse('bad_request');
    }
    // A legacy SSE stream cannot be relayed (it is the session: it stays where it was opened).
    if (frame.kind === 'sse' && frame.method !== 'POST') return refuse('bad_request');

    const ticket = randomUUID();
    const entry: Ticket = { principal: frame.principal, body };
    this.tickets.set(ticket, entry);
    const exchange = this.injector.inject({
      method: frame.method,
      path: frame.kind === 'sse' ? `${ROUTES.messages}?sessionId=${encodeURIComponent(frame.sessionId)}` : ROUTES.mcp,
      headers: {
        ...forwardedRequestHeaders(frame.headers),
        ...(frame.kind === 'streamable' ? { 'mcp-session-id': frame.sessionId } : {}),
        [TICKET_HEADER]: ticket,
      },
    });
    relaysInFlight.inc({ role: 'served' });

    let finished = false;
    let unacknowledged = 0;
    let total = 0;
    let inner: IncomingMessage | undefined;
    const finish = (outcome: ServedOutcome, last?: ReplyFrame) => {
      if (finished) return;
      finished = true;
      this.exchanges.delete(frame.id);
      if (this.exchanges.size === 0) this.whenSettled?.();
      this.tickets.delete(ticket);
      relaysInFlight.dec({ role: 'served' });
      relayedRequests.inc({ role: 'served', transport: frame.kind, outcome });
      if (last) send(last).catch(() => undefined);
      // Anything but a response that ended: the session transport must see its client gone.
      if (outcome !== 'ok') exchange.abort();
      if (outcome === 'failed') this.options.logger.debug({ session: frame.sessionId, relay: frame.id }, 'relayed request failed on the owner');
    };
    const failed = (reason: RelayFailure = 'failed') => finish(reason === 'too_large' ? 'too_large' : 'failed', { type: 'error', id: frame.id, reason });
    const publish = (reply: ReplyFrame, size: number) => {
      unacknowledged += size;
      if (unacknowledged > WINDOW_BYTES) inner?.pause();
      send(reply).then(
        (receivers) => {
          unacknowledged -= size;
          // Nobody reads the forwarding replica's channel any more: it is gone, and so is the client.
          if (receivers === 0) return finish('receiver_gone');
          if (!finished && unacknowledged <= WINDOW_BYTES) inner?.resume();
        },
        () => finish('failed'),
      );
    };
    this.exchanges.set(frame.id, () => finish('cancelled'));

    const capped = frame.method !== 'GET';
    exchange.response.then(
      (response) => {
        if (finished) return void response.destroy();
        inner = response;
        publish({ type: 'head', id: frame.id, status: response.statusCode ?? 502, headers: forwardedResponseHeaders(response.headers) }, 0);
        response.on('data', (chunk: Buffer) => {
          if (finished) return;
          total += chunk.length;
          if (capped && total > this.options.maxResponseBytes) return failed('too_large');
          for (let at = 0; at < chunk.length; at += MAX_CHUNK_BYTES) {
            const data = chunk.subarray(at, at + MAX_CHUNK_BYTES);
            publish({ type: 'chunk', id: frame.id, data }, data.length);
          }
        });
        // Published after every chunk on the same connection, so it arrives after them (Redis keeps order per connection).
        response.once('end', () => finish('ok', endFrame(frame.id, entry.served, send)));
        response.once('error', () => failed());
        response.once('aborted', () => failed());
      },
      () => failed(),
    );
  }

  /** The forwarding replica's client went away. */
  cancel(id: string): void {
    this.exchanges.get(id)?.();
  }

  /**
   * Resolves once every exchange has ended, or after `ms`. At shutdown the sessions are closed
   * first, which ends their answers; an answer written just before (a call that finished as the
   * drain ended) is still on its way through the in-process server and Redis, and close() would
   * cut it: the forwarding replica's client would wait for an answer that never comes.
   */
  settled(ms: number): Promise<void> {
    if (this.exchanges.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.whenSettled = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.whenSettled = done;
    });
  }

  /** Ends every exchange still running (shutdown). */
  close(): void {
    for (const abort of [...this.exchanges.values()]) abort();
  }

  private enter(req: IncomingMessage, res: Parameters<RequestListener>[1]): void {
    const key = String(req.headers[TICKET_HEADER] ?? '');
    const ticket = this.tickets.get(key);
    if (!ticket) return void res.writeHead(404).end();
    this.tickets.delete(key);
    // What the guards set on a request that passed them on the replica that took it.
    setPrincipal(req, ticket.principal);
    ticket.served = res;
    const relayed = req as IncomingMessage & { auth?: AuthInfo; body?: unknown };
    relayed.auth = toAuthInfo(ticket.principal);
    relayed.body = ticket.body;
    this.options.target(req, res);
  }
}

/**
 * The end of a relayed response, with what its answer said: the forwarding replica writes the
 * request's one audit line (this replica's session routes have no guards, so none is written here).
 * An answer still to come (a legacy SSE POST's, on the stream) follows in an outcome frame,
 * published after the end frame on the same connection.
 */
function endFrame(id: string, served: ServerResponse | undefined, send: (reply: ReplyFrame) => Promise<number>): ReplyFrame {
  const outcome = served && answerOutcome(served);
  const later = served && answerAwaited(served);
  if (later) void later.then(() => send({ type: 'outcome', id, ...optional(answerOutcome(served!)) }).catch(() => undefined));
  return { type: 'end', id, ...optional(outcome), ...(later ? { awaited: true as const } : {}) };
}

const optional = <T>(outcome: T | undefined) => (outcome === undefined ? {} : { outcome });
