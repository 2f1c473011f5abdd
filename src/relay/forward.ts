// The relay's forwarding side (issue #6): a request for a session this replica does not hold.
// After the guards (the caller is authenticated, audited, its body parsed), the session directory
// names the replica holding the session; the request goes to that replica's channel and its
// answer comes back frame by frame on this replica's channel, streamed to the client as it comes.
//
// Every failure has one answer, chosen so a client does the right thing:
//   no such session, another principal's, or its replica gone   404 (the MCP rule: start a new session)
//   Redis unreachable                                           503 with Retry-After
//   not found while the directory is rebuilt (Redis restarted)  503 with Retry-After (directory.ts)
//   the owner did not start answering within headTimeoutMs      504
//   the owner failed or its answer was too large                502
//   any of these after the answer began                         the response is cut (a stream the
//                                                               client resumes, or a call it retries)
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../log.js';
import { awaitAnswer, noteOutcome, stopAwaiting } from '../protocol/answer-note.js';
import { envelopeOf, type JsonRpcId } from '../protocol/envelope.js';
import { refuse, sendJsonRpcError } from '../protocol/errors.js';
import { ANONYMOUS, principalOf } from '../sessions/principal.js';
import type { SessionKind } from '../sessions/registry.js';
import { RelayCodecError, forwardedRequestHeaders, type OwnerBound, type RelayOutcome, type RelayRequest, type ReplyFrame } from './codec.js';
import type { SessionDirectory } from './directory.js';
import { relayFirstFrame, relayedRequests, relaysInFlight } from './metrics.js';

export interface ForwarderOptions {
  /** This replica's id: where answers come back. */
  replica: string;
  directory: SessionDirectory;
  /** Publishes a frame to replica `to`; resolves to the number of subscribers that received it. */
  publish(to: string, frame: OwnerBound): Promise<number>;
  /** The owner must start answering within this. */
  headTimeoutMs: number;
  /** Once it has, it must send something (a keep-alive at least) within this. */
  idleTimeoutMs: number;
  /** Answer bytes a slow client may leave unread here before it is cut off. */
  maxBufferedBytes: number;
  /** Counts a forwarded POST or DELETE as in flight, so a drain waits for it. */
  beginExchange(): () => void;
  isDraining(): boolean;
  /** Whether this replica's own channel is subscribed, so the owner's answer can reach it. */
  hearsReplies(): boolean;
  logger: Logger;
}

type Outcome =
  | 'ok'
  | 'not_found'
  | 'unavailable'
  | 'rebuilding'
  | 'timeout'
  | 'owner_failed'
  | 'owner_lost'
  | 'relay_lost'
  | 'client_gone'
  | 'slow_client'
  | 'draining'
  | 'shutdown';

interface Outbound {
  owner: string;
  lastFrameAt: number;
  headSent: boolean;
  /** Answers (or cuts) the response if it has not ended yet, and forgets the exchange. */
  settle(outcome: Outcome): void;
  onFrame(frame: ReplyFrame): void;
}

export class RelayForwarder {
  private readonly outbound = new Map<string, Outbound>();
  /** Ended exchanges whose answer comes later (legacy SSE POSTs): its outcome is for the audit line. */
  private readonly awaiting = new Map<string, { owner: string; res: Response }>();

  constructor(private readonly options: ForwarderOptions) {}

  get active(): number {
    return this.outbound.size;
  }

  async forward(req: Request, res: Response, kind: SessionKind, sessionId: string): Promise<void> {
    const { directory, replica } = this.options;
    const rpcId = envelopeOf(req).replyId;
    const count = (outcome: Outcome) => relayedRequests.inc({ role: 'forwarded', transport: kind, outcome });
    if (this.options.isDraining()) {
      count('draining');
      return refuse.shuttingDown(res, rpcId);
    }
    // Between a reconnect and the resubscription of this replica's channel, the owner's answer
    // would be published to nobody and the client would wait out the head timeout: refuse first.
    if (!this.options.hearsReplies()) {
      count('unavailable');
      return unavailable(res, rpcId, 'this replica is reconnecting to Redis');
    }
    const principal = principalOf(req) ?? ANONYMOUS;
    let owner: string | undefined;
    let rebuilding = false;
    try {
      const record = await directory.lookup(sessionId);
      // Another principal's session is not found, exactly as an unknown one (issue #5). A record
      // naming this replica is stale: the session would have been found locally.
      if (record && record.principal === principal.key && record.kind === kind && record.replica !== replica && (await directory.isAlive(record.replica)))
        owner = record.replica;
      // No record, or its replica not (yet) heartbeating: after Redis lost the directory that is
      // no proof the session is gone until the replicas have registered theirs again.
      else if (!record || (record.principal === principal.key && record.kind === kind && record.replica !== replica)) rebuilding = await directory.rebuilding();
    } catch (err) {
      count('unavailable');
      this.options.logger.warn({ session: sessionId, err: String(err) }, 'cannot reach redis to relay a session request');
      return unavailable(res, rpcId);
    }
    if (rebuilding) {
      count('rebuilding');
      return unavailable(res, rpcId, 'the session directory is being rebuilt after a Redis restart');
    }
    if (owner === undefined) {
      count('not_found');
      return refuse.sessionNotFound(res, rpcId);
    }

    const id = randomUUID();
    const method = req.method as RelayRequest['method'];
    const body = method === 'POST' && req.body !== undefined ? Buffer.from(JSON.stringify(req.body), 'utf8') : undefined;
    const frame: RelayRequest = {
      type: 'request',
      id,
      from: replica,
      kind,
      sessionId,
      method,
      headers: forwardedRequestHeaders(req.headers),
      principal: { ...principal, groups: [...principal.groups] },
      ...(body ? { body } : {}),
    };
    const exchangeDone = method === 'GET' ? () => {} : this.options.beginExchange();
    relaysInFlight.inc({ role: 'forwarded' });
    const started = process.hrtime.bigint();

    await new Promise<void>((resolve) => {
      // The request's deadline for the owner to start answering; after that, silence is watched by watch().
      const headDeadline = setTimeout(() => exchange.settle('timeout'), this.options.headTimeoutMs);
      const exchange: Outbound = {
        owner: owner!,
        lastFrameAt: Date.now(),
        headSent: false,
        settle: (outcome) => {
          if (this.outbound.get(id) !== exchange) return;
          this.outbound.delete(id);
          clearTimeout(headDeadline);
          relaysInFlight.dec({ role: 'forwarded' });
          count(outcome);
          exchangeDone();
          // The owner is still running it (or may be): tell it to stop.
          if (outcome !== 'ok' && outcome !== 'not_found' && outcome !== 'owner_failed' && outcome !== 'owner_lost') {
            this.options.publish(owner!, { type: 'cancel', id }).catch(() => undefined);
          }
          answerFailure(res, outcome, exchange.headSent, rpcId);
          resolve();
        },
        onFrame: (reply) => {
          exchange.lastFrameAt = Date.now();
          if (res.destroyed) return exchange.settle('client_gone');
          switch (reply.type) {
            case 'head':
              if (exchange.headSent) return;
              exchange.headSent = true;
              clearTimeout(headDeadline);
              relayFirstFrame.observe({ transport: kind }, Number(process.hrtime.bigint() - started) / 1e9);
              res.statusCode = reply.status;
              for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
              // An SSE answer's headers go out now: the client is waiting for them, not for the first event.
              res.flushHeaders();
              return;
            case 'chunk':
              if (!exchange.headSent) return exchange.settle('owner_failed');
              res.write(reply.data);
              if (res.writableLength > this.options.maxBufferedBytes) exchange.settle('slow_client');
              return;
            case 'end':
              if (!exchange.headSent) return exchange.settle('owner_failed');
              // What the owner's answer said, noted before the response ends and the audit line is written.
              if (reply.outcome) noteOutcome(res, reply.outcome);
              if (reply.awaited) {
                awaitAnswer(res);
                this.awaiting.set(id, { owner: owner!, res });
              }
              res.end();
              return exchange.settle('ok');
            case 'outcome':
              return;
            case 'error':
              return exchange.settle(reply.reason === 'not_found' ? 'not_found' : 'owner_failed');
          }
        },
      };
      this.outbound.set(id, exchange);
      res.once('close', () => exchange.settle('client_gone'));
      // A frame the codec refuses (a principal beyond its bounds) fails here, not as a 504 later.
      // No receiver: nobody reads the owner's channel, so it is gone (a crash closes its Redis
      // connection at once, well before its heartbeat expires), and its sessions with it.
      Promise.resolve()
        .then(() => this.options.publish(owner!, frame))
        .then(
          (receivers) => receivers === 0 && exchange.settle('not_found'),
          (err: unknown) => exchange.settle(err instanceof RelayCodecError ? 'owner_failed' : 'unavailable'),
        );
    });
  }

  /** A frame from an owner, on this replica's channel. */
  onReply(frame: ReplyFrame): void {
    if (frame.type === 'outcome') return this.outcomeArrived(frame);
    this.outbound.get(frame.id)?.onFrame(frame);
  }

  private outcomeArrived(frame: RelayOutcome): void {
    const waiting = this.awaiting.get(frame.id);
    if (!waiting) return;
    this.awaiting.delete(frame.id);
    if (frame.outcome) noteOutcome(waiting.res, frame.outcome);
    else stopAwaiting(waiting.res);
  }

  /** Awaited answers of `owner` (or all) will not come: it is gone, or this replica's relay is. */
  private abandonAwaited(owner?: string): void {
    for (const [id, waiting] of this.awaiting) {
      if (owner !== undefined && waiting.owner !== owner) continue;
      this.awaiting.delete(id);
      noteOutcome(waiting.res, 'unanswered');
    }
  }

  /**
   * Runs every second or so: cuts answers whose owner fell silent (frames lost with a Redis
   * connection) or lost its heartbeat (the owner is gone).
   */
  async watch(): Promise<void> {
    const now = Date.now();
    for (const exchange of [...this.outbound.values()]) {
      if (exchange.headSent && now - exchange.lastFrameAt > this.options.idleTimeoutMs) exchange.settle('owner_lost');
    }
    const owners = new Set([...this.outbound.values(), ...this.awaiting.values()].map((e) => e.owner));
    for (const owner of owners) {
      let alive: boolean;
      try {
        alive = await this.options.directory.isAlive(owner);
      } catch {
        continue; // Redis trouble is not the owner's death; the subscriber's own close handles a lost connection.
      }
      if (alive) continue;
      for (const exchange of [...this.outbound.values()]) if (exchange.owner === owner) exchange.settle('owner_lost');
      this.abandonAwaited(owner);
    }
  }

  /** Every answer in progress is lost (this replica's subscription dropped, or it shuts down). */
  failAll(outcome: 'relay_lost' | 'shutdown'): void {
    for (const exchange of [...this.outbound.values()]) exchange.settle(outcome);
    this.abandonAwaited();
  }
}

function unavailable(res: Response, rpcId: JsonRpcId, why = 'the session relay is unavailable'): void {
  sendJsonRpcError(res, 503, -32000, `Server busy: ${why}, try again later`, rpcId, { 'Retry-After': '1' });
}

function answerFailure(res: Response, outcome: Outcome, headSent: boolean, rpcId: JsonRpcId): void {
  if (outcome === 'ok' || outcome === 'client_gone' || res.writableEnded || res.destroyed) return;
  // Past the head the status is gone: cutting the stream is the only honest signal left.
  if (headSent || res.headersSent) return void res.destroy();
  switch (outcome) {
    case 'not_found':
    case 'owner_lost':
      return refuse.sessionNotFound(res, rpcId);
    case 'timeout':
      return sendJsonRpcError(res, 504, -32000, 'Gateway timeout: the replica holding the session did not answer in time', rpcId);
    case 'unavailable':
    case 'relay_lost':
      return unavailable(res, rpcId);
    case 'draining':
    case 'shutdown':
      return refuse.shuttingDown(res, rpcId);
    default:
      return sendJsonRpcError(res, 502, -32000, 'Bad gateway: the replica holding the session could not answer', rpcId);
  }
}
