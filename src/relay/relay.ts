// Session relay between replicas through Redis (--redis-url, issue #6). A session — a legacy SSE
// stream, or a Streamable HTTP session — lives in the replica that opened it; with the relay, any
// replica accepts a request for any session and hands it to the replica that holds it:
//
//   client ─► replica B (guards, audit) ─► directory: session X is on replica A, which is alive
//           ─► PUBLISH cnpg-mcp:relay:A   {request: method, allowed headers, body, principal}
//   replica A ─► the session routes, as for a local request ─► X's transport
//           ─► PUBLISH cnpg-mcp:relay:B   {head} {chunk}… {end}
//   replica B ─► streams the answer to the client
//
// Each replica has a random id, a heartbeat key, and one channel it subscribes to, which carries
// both the requests for its sessions and the answers to the requests it forwarded (one
// subscription per replica: no subscribe round trip per request, and no window in which an
// answer could be published before anyone listens for it). Without --redis-url none of this
// exists and a session is served only where it lives, as before.
//
// Redis is trusted here as it is for the rate limits: whoever can publish to it can act on a
// session as its principal. Protect it (a password or ACL, TLS with rediss://, a NetworkPolicy).
import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { closeRedis, openRedis, watchRedis } from '../redis.js';
import type { SessionForwarder } from '../sessions/context.js';
import type { Session, SessionKind } from '../sessions/registry.js';
import { RelayCodecError, decodeFrame, encodeFrame, type OwnerBound, type RelayFrame, type ReplyFrame } from './codec.js';
import { SessionDirectory, replicaChannel, type DirectoryTimings } from './directory.js';
import { RelayForwarder } from './forward.js';
import { RelayOwner } from './owner.js';

export interface RelayTimings extends DirectoryTimings {
  /** How often the heartbeat key is rewritten (well within heartbeatTtlMs). */
  heartbeatIntervalMs: number;
  /** How often the keys of this replica's sessions are rewritten (well within sessionTtlMs). */
  sessionRefreshMs: number;
  /**
   * How long a forwarded request waits for the owner to start answering before 504. The owner's
   * transport starts a late POST's answer as a stream after one keep-alive interval, so a call that
   * is merely slow always has its head by then: only an owner that does not answer at all times out.
   */
  headTimeoutMs: number;
  /** How long a forwarded answer may stay silent; owners send a keep-alive every --keepalive-interval. */
  idleTimeoutMs: number;
}

export function defaultRelayTimings(keepaliveIntervalSec: number): RelayTimings {
  return {
    sessionTtlMs: 120_000,
    sessionRefreshMs: 30_000,
    heartbeatTtlMs: 6_000,
    heartbeatIntervalMs: 2_000,
    announceTimeoutMs: 1_000,
    // Past the moment a silent call's answer turns into a stream (1 to 1.25 keep-alive intervals,
    // transports/deadlines.ts), not before it.
    headTimeoutMs: keepaliveIntervalSec * 1250 + 10_000,
    idleTimeoutMs: 3 * keepaliveIntervalSec * 1000 + 5_000,
  };
}

export interface SessionRelayOptions {
  redisUrl: string;
  logger: Logger;
  keepaliveIntervalSec: number;
  /** Largest relayed answer to a POST or DELETE (default 32 MiB). */
  maxResponseBytes?: number;
  timings?: Partial<RelayTimings>;
}

/** What the relay serves and counts with, from the app that hosts it. */
export interface RelayBindings {
  /** The session routes, without guards: requests of other replicas run through them. */
  target: RequestListener;
  /** The sessions this replica holds, whose directory records are refreshed. */
  sessions(): Iterable<Session>;
  beginExchange(): () => void;
  isDraining(): boolean;
}

/** What the transports call for a session they do not hold. */
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
// How long a closing relay lets answers already written reach their forwarding replicas.
const SETTLE_MS = 2000;

export class SessionRelay implements SessionForwarder {
  /** Random per process: a restarted replica is a new one, and none of its old sessions survive anyway. */
  readonly replica = randomBytes(8).toString('hex');
  readonly directory: SessionDirectory;
  private readonly timings: RelayTimings;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly subscribed: Promise<unknown>;
  private forwarder?: RelayForwarder;
  private owner?: RelayOwner;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed?: Promise<void>;
  private bindings?: RelayBindings;
  /** Whether this replica joined the directory at least once (a later join is a return). */
  private joined = false;
  /** Whether this replica's channel is subscribed now: answers to what it forwards can reach it. */
  private hearsReplies = false;

  constructor(private readonly options: SessionRelayOptions) {
    const { logger } = options;
    this.timings = { ...defaultRelayTimings(options.keepaliveIntervalSec), ...options.timings };
    // Commands fail fast while disconnected (a session then stays local) rather than queue.
    this.commands = openRedis(options.redisUrl, 'commands');
    this.subscriber = openRedis(options.redisUrl, 'subscriber');
    watchRedis([this.commands, this.subscriber], logger, {
      down: 'redis unreachable: sessions are served only by the replica holding them until it is back',
      up: 'redis reachable again: session traffic is relayed between replicas again',
    });
    // Answers in flight may have lost frames with the connection: cut them (clients retry or resume).
    this.subscriber.on('close', () => {
      this.hearsReplies = false;
      this.forwarder?.failAll('relay_lost');
    });
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.receive(message));
    this.subscribed = this.subscribeOwnChannel();
    // ioredis resubscribes on reconnect without telling when it is done; subscribing again (a
    // no-op for Redis) resolves once the channel is live, and until then nothing is forwarded.
    this.subscriber.on('ready', () => void this.subscribeOwnChannel());
    this.directory = new SessionDirectory(this.commands, this.replica, this.timings, logger);
    // Every (re)connect re-registers this replica's sessions at once, not at the next refresh: a
    // Redis that restarted empty must find them again within moments (issue #12, item 11).
    this.commands.on('ready', () => void this.join());
  }

  private subscribeOwnChannel(): Promise<unknown> {
    return this.subscriber
      .subscribe(replicaChannel(this.replica))
      .then(() => {
        this.hearsReplies = this.subscriber.status === 'ready';
      })
      .catch(() => undefined);
  }

  /** Joins the directory; after the first time, as a returning replica (directory.ts). */
  private join(): Promise<void> {
    const returning = this.joined;
    const joining = this.directory
      .join(this.bindings?.sessions() ?? [], returning)
      .then(() => {
        this.joined = true;
      })
      .catch((err: unknown) => this.options.logger.warn({ err: String(err) }, 'cannot register the sessions of this replica in redis yet'));
    return joining;
  }

  /** Starts serving and forwarding; call once, before the listener opens. */
  start(bindings: RelayBindings): void {
    const { logger } = this.options;
    this.bindings = bindings;
    // async: a frame the codec refuses becomes a rejection like any failed publish, never a throw.
    const publish = async (to: string, frame: OwnerBound | ReplyFrame) => this.commands.publish(replicaChannel(to), encodeFrame(frame));
    this.owner = new RelayOwner({
      target: bindings.target,
      reply: publish,
      maxResponseBytes: this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      logger,
    });
    this.forwarder = new RelayForwarder({
      replica: this.replica,
      directory: this.directory,
      publish,
      headTimeoutMs: this.timings.headTimeoutMs,
      idleTimeoutMs: this.timings.idleTimeoutMs,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      beginExchange: bindings.beginExchange,
      isDraining: bindings.isDraining,
      hearsReplies: () => this.hearsReplies,
      logger,
    });
    const every = (ms: number, run: () => Promise<unknown>) => {
      const timer = setInterval(() => void run().catch(() => undefined), ms);
      timer.unref();
      this.timers.push(timer);
    };
    void this.join();
    every(this.timings.heartbeatIntervalMs, () => this.directory.heartbeat());
    every(this.timings.sessionRefreshMs, () => this.directory.refresh(bindings.sessions()));
    every(Math.min(1000, this.timings.heartbeatIntervalMs), () => this.forwarder!.watch());
  }

  /**
   * Resolves true once this replica is subscribed and its heartbeat written, false after
   * `timeoutMs` (it then serves its own sessions only until Redis answers).
   */
  async ready(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let onError: (() => void) | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    // A refused connection will not turn into a ready one within the wait: stop waiting.
    const failed = new Promise<false>((resolve) => {
      onError = () => resolve(false);
      this.commands.once('error', onError);
      this.subscriber.once('error', onError);
    });
    const up = (async () => {
      await this.subscribed;
      if (this.commands.status !== 'ready') await new Promise((resolve) => this.commands.once('ready', resolve));
      await this.directory.join(this.bindings?.sessions() ?? [], false);
      this.joined = true;
      return true as const;
    })().catch(() => false as const);
    try {
      return await Promise.race([up, timeout, failed]);
    } finally {
      clearTimeout(timer);
      this.commands.off('error', onError!);
      this.subscriber.off('error', onError!);
    }
  }

  forward(req: Request, res: Response, kind: SessionKind, sessionId: string): Promise<void> {
    if (!this.forwarder) throw new Error('SessionRelay.forward() before start()');
    return this.forwarder.forward(req, res, kind, sessionId);
  }

  /** Relayed requests in progress: those this replica forwarded, and those it serves for others. */
  get inFlight(): { forwarded: number; served: number } {
    return { forwarded: this.forwarder?.active ?? 0, served: this.owner?.active ?? 0 };
  }

  /** After the sessions are closed (their records withdrawn): stops everything. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      // Answers the closed sessions wrote get out first (owner.ts, settled()); then cut what is left.
      await this.owner?.settled(SETTLE_MS);
      this.forwarder?.failAll('shutdown');
      this.owner?.close();
      await this.directory.retire();
      // QUIT only on a live connection: one that is reconnecting would queue it forever.
      await closeRedis([this.subscriber, this.commands]);
    })();
    return this.closed;
  }

  private receive(message: Buffer): void {
    let frame: RelayFrame;
    try {
      frame = decodeFrame(message);
    } catch (err) {
      if (err instanceof RelayCodecError) return this.options.logger.warn({ err: err.message }, 'ignoring a malformed relay frame');
      throw err;
    }
    try {
      switch (frame.type) {
        case 'request':
          return this.owner?.serve(frame);
        case 'cancel':
          return this.owner?.cancel(frame.id);
        default:
          return this.forwarder?.onReply(frame);
      }
    } catch (err) {
      // Thrown out of the subscriber's event handler, it would take the process down.
      this.options.logger.error({ frame: frame.type, relay: frame.id, err: String(err) }, 'relay frame handling failed');
    }
  }
}
