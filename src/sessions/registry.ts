// Every open MCP session of both HTTP transports, in one place: the maximum (overall and per
// principal), idle expiry, the in-flight count shutdown waits on, and closing them all. Each
// session owns its own McpServer and transport (never shared: one session's state must not
// reach another), and belongs to the principal that opened it: get() with another principal's
// key finds nothing, exactly as for an unknown id (issue #5). With --redis-url an announcer makes
// each session findable by the other replicas, which relay its traffic here (issue #6).
import type { Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import { activeSessions, callsRefused, sessionsEvicted } from '../metrics.js';
import { SessionActivity } from './activity.js';

export type SessionKind = 'sse' | 'streamable';

export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  /** Principal.key of whoever opened it. */
  readonly owner: string;
  readonly transport: Transport;
  readonly activity: SessionActivity;
  /**
   * Settles once other replicas can find the session (at once without an announcer). A transport
   * waits for it before telling the client the session id, so the client's next request finds the
   * session on whichever replica it reaches.
   */
  readonly announced: Promise<void>;
}

/** Makes sessions known beyond this process (the relay's session directory in Redis). */
export interface SessionAnnouncer {
  /** Never rejects: a session that could not be announced still works on this replica. */
  announce(session: Session): Promise<void>;
  withdraw(session: Session): void;
}

/** Why a new session cannot be opened now. */
export type NoRoom = 'full' | 'principal_full';

interface Entry extends Session {
  close(): Promise<void>;
  announced: Promise<void>;
}

export interface SessionRegistryOptions {
  maxSessions: number;
  /** Sessions one principal may hold; 0: no limit. */
  maxPerOwner?: number;
  idleTimeoutMs: number;
  logger: Logger;
  now?: () => number;
  announcer?: SessionAnnouncer;
}

// What `announced` is when there is no announcer: one settled promise for every session.
const ANNOUNCED: Promise<void> = Promise.resolve();

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly perOwner = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private exchanges = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  // Handed to every session's SessionActivity: one function, not one closure per session.
  private readonly onActivity = () => this.changed();

  constructor(private readonly options: SessionRegistryOptions) {
    this.now = options.now ?? Date.now;
    // Sweep often enough that a session lives at most ~1.5× the idle timeout.
    const every = Math.max(50, Math.min(options.idleTimeoutMs / 2, 30_000));
    this.sweeper = setInterval(() => this.expireIdle(), every);
    this.sweeper.unref();
  }

  get count(): number {
    return this.entries.size;
  }

  /** Client requests awaiting an answer, across sessions and session-less exchanges. */
  get inflight(): number {
    let total = this.exchanges;
    for (const entry of this.entries.values()) total += entry.activity.inflight;
    return total;
  }

  /**
   * Whether `owner` may open one more session now; the reason when not. An owner at its cap has
   * its least recently used idle session closed to make room: clients that never send DELETE
   * (the conformance suite, many scripts) would otherwise lock themselves out until their old
   * sessions expire (issue #12, item 19). Only when every one of its sessions has a call in flight
   * is the new one refused.
   */
  roomFor(owner: string): NoRoom | undefined {
    if (this.entries.size >= this.options.maxSessions) return 'full';
    const max = this.options.maxPerOwner ?? 0;
    if (max > 0 && (this.perOwner.get(owner) ?? 0) >= max && !this.evictIdle(owner)) {
      callsRefused.inc({ limit: 'sessions_per_principal' });
      return 'principal_full';
    }
    return undefined;
  }

  /**
   * Registers a session at once, so concurrent opens cannot overshoot the maxima.
   * Returns undefined when there is no room (see roomFor). `close` must end the session's MCP server.
   */
  open(id: string, kind: SessionKind, owner: string, transport: Transport, close: () => Promise<void>): Session | undefined {
    if (this.roomFor(owner) !== undefined || this.entries.has(id)) return undefined;
    const entry: Entry = { id, kind, owner, transport, activity: new SessionActivity(this.onActivity, this.now), close, announced: ANNOUNCED };
    this.entries.set(id, entry);
    if (this.options.announcer) entry.announced = this.options.announcer.announce(entry);
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    activeSessions.inc({ transport: kind });
    this.options.logger.debug({ session: id, kind, open: this.entries.size }, 'session opened');
    return entry;
  }

  /** The session `id` when `owner` opened it; undefined otherwise, the same as for an unknown id. */
  get(id: string, owner: string): Session | undefined {
    const entry = this.entries.get(id);
    return entry?.owner === owner ? entry : undefined;
  }

  /** Every open session (the announcer refreshes their records from it). */
  all(): IterableIterator<Session> {
    return this.entries.values();
  }

  /** Forgets a session whose transport closed. Idempotent. */
  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const left = (this.perOwner.get(entry.owner) ?? 1) - 1;
    if (left > 0) this.perOwner.set(entry.owner, left);
    else this.perOwner.delete(entry.owner);
    activeSessions.dec({ transport: entry.kind });
    this.options.announcer?.withdraw(entry);
    // Tool-call slots still held by unanswered calls of this session are freed with it.
    entry.activity.releaseAll();
    this.options.logger.debug({ session: id, open: this.entries.size }, 'session closed');
    this.changed();
  }

  /** Counts one session-less exchange (2026 revision) as in flight until the returned function runs. */
  beginExchange(): () => void {
    this.exchanges++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.exchanges--;
      this.changed();
    };
  }

  /** Resolves true once nothing is in flight; false when `timeoutMs` passes or `signal` aborts first. */
  whenIdle(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (idle: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(check);
        resolve(idle);
      };
      const check = () => {
        if (this.inflight === 0) finish(true);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort);
      this.waiters.add(check);
    });
  }

  /**
   * Answers every client request still awaiting its answer with a JSON-RPC error carrying `error`,
   * each for its own id, on the session's own transport (a JSON answer, or an event on its stream):
   * a call cut by the shutdown deadline learns why, instead of finding its session gone (issue #12,
   * item 12). Returns how many were answered.
   */
  async answerOpenRequests(error: { code: number; message: string }): Promise<number> {
    const sends: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      for (const id of entry.activity.openRequests()) {
        // Through the transport's send, which observeTransport() wrapped: the request is settled with it.
        sends.push(entry.transport.send({ jsonrpc: '2.0', id, error }).catch(() => undefined));
      }
    }
    await Promise.all(sends);
    return sends.length;
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    await Promise.allSettled(entries.map((entry) => entry.close()));
    for (const entry of entries) this.remove(entry.id);
  }

  /** Stops the idle sweeper; sessions stay as they are. */
  dispose(): void {
    clearInterval(this.sweeper);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Closes the least recently used session of `owner` that has nothing in flight; false when there is none. */
  private evictIdle(owner: string): boolean {
    let oldest: Entry | undefined;
    // A scan, not an index: it runs only when an owner is at its cap, and sessions are bounded by maxSessions.
    for (const entry of this.entries.values()) {
      if (entry.owner !== owner || entry.activity.inflight > 0) continue;
      if (!oldest || entry.activity.lastActiveAt < oldest.activity.lastActiveAt) oldest = entry;
    }
    if (!oldest) return false;
    sessionsEvicted.inc();
    this.options.logger.info({ session: oldest.id, kind: oldest.kind }, 'closing the least recently used idle session of a principal at its session cap');
    this.end(oldest, 'closing an evicted session failed');
    return true;
  }

  private end(entry: Entry, failure: string): void {
    this.remove(entry.id);
    entry.close().catch((err: unknown) => this.options.logger.warn({ session: entry.id, err: String(err) }, failure));
  }

  private expireIdle(): void {
    const now = this.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.activity.inflight > 0 || now - entry.activity.lastActiveAt < this.options.idleTimeoutMs) continue;
      this.options.logger.info({ session: entry.id, kind: entry.kind }, 'closing idle session');
      this.end(entry, 'closing an idle session failed');
    }
  }
}
