// Where each session lives, kept in Redis so that any replica can find the one holding a session
// (issue #6). Keys, all with a TTL so that nothing outlives a replica that vanished:
//
//   cnpg-mcp:session:<session id>   {"replica","principal","kind"}   refreshed while the session
//                                   lives, deleted when it ends
//   cnpg-mcp:replica:<replica id>   heartbeat of a running replica   a few seconds; a replica whose
//                                   key expired is gone, and so are its sessions
//
//   cnpg-mcp:directory              set (no TTL) by the first replica to join this Redis: absent,
//                                   the directory is empty because Redis restarted (or was
//                                   emptied) and no replica has re-registered its sessions yet
//   cnpg-mcp:directory:rebuilding   set for heartbeatTtlMs by a replica that comes back to a Redis
//                                   that lost its records: the other replicas are re-registering
//                                   theirs (each does so the moment it reconnects)
//
// While the directory is not whole, a session it cannot find may still be alive on a replica that
// has not re-registered yet: the forwarder answers 503 with Retry-After, not the 404 that tells a
// client its session is gone (issue #12, item 11).
//
// `principal` is Principal.key (a token's fingerprint-based key, a tokens-file name, or a JWT's
// issuer#sub): never a token.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Session, SessionAnnouncer } from '../sessions/registry.js';
import type { RelayKind } from './codec.js';

export const sessionKey = (sessionId: string) => `cnpg-mcp:session:${sessionId}`;
export const replicaKey = (replica: string) => `cnpg-mcp:replica:${replica}`;
export const DIRECTORY_KEY = 'cnpg-mcp:directory';
export const REBUILDING_KEY = 'cnpg-mcp:directory:rebuilding';
/** The pub/sub channel a replica reads: requests for its sessions, and answers to its own relays. */
export const replicaChannel = (replica: string) => `cnpg-mcp:relay:${replica}`;

export interface SessionRecord {
  replica: string;
  /** Principal.key of whoever opened the session. */
  principal: string;
  kind: RelayKind;
}

const record = z.object({ replica: z.string(), principal: z.string(), kind: z.enum(['sse', 'streamable']) });

export interface DirectoryTimings {
  /** How long a session's key lives without a refresh. */
  sessionTtlMs: number;
  /** How long the heartbeat key lives without a refresh: the time it takes to notice a replica is gone. */
  heartbeatTtlMs: number;
  /** The longest an open waits for its announcement before it goes on without (Redis slow or down). */
  announceTimeoutMs: number;
}

export class SessionDirectory implements SessionAnnouncer {
  constructor(
    private readonly redis: Redis,
    readonly replica: string,
    private readonly timings: DirectoryTimings,
    private readonly logger: Logger,
  ) {}

  /**
   * Makes a new session findable by the other replicas. The transports wait for it before the
   * client learns the session id, so the client's next request finds it wherever it lands.
   * Never rejects: when Redis cannot be reached the session still works on this replica.
   */
  announce(session: Session): Promise<void> {
    const write = this.redis.set(sessionKey(session.id), this.recordOf(session), 'PX', this.timings.sessionTtlMs).then(
      () => undefined,
      (err: unknown) => this.logger.warn({ session: session.id, err: String(err) }, 'cannot announce the session in redis: only this replica can serve it'),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timings.announceTimeoutMs)));
    return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
  }

  withdraw(session: Session): void {
    // The key expires anyway; failing to delete it early only costs a lookup that finds a closed session.
    this.redis.del(sessionKey(session.id)).catch(() => undefined);
  }

  /** Rewrites the keys of the sessions this replica holds (rewrites, not PEXPIRE: a restarted Redis lost them). */
  async refresh(sessions: Iterable<Session>): Promise<void> {
    const batch = this.redis.pipeline();
    let count = 0;
    for (const session of sessions) {
      batch.set(sessionKey(session.id), this.recordOf(session), 'PX', this.timings.sessionTtlMs);
      count++;
    }
    if (count > 0) await batch.exec();
  }

  /** The session's record, or undefined when there is none (or it is malformed). Rejects when Redis cannot answer. */
  async lookup(sessionId: string): Promise<SessionRecord | undefined> {
    const raw = await this.redis.get(sessionKey(sessionId));
    if (raw === null) return undefined;
    try {
      const parsed = record.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * (Re)joins the directory after a connect: marks it as started, heartbeats and re-registers every
   * session this replica holds. `returning`: this replica was connected before; when its heartbeat
   * is gone, Redis lost its records (a restart, a flush, or an outage longer than the heartbeat's
   * TTL) and the other replicas are re-registering too, so the directory is marked as rebuilding
   * for as long as a replica may take to come back before it counts as gone.
   */
  async join(sessions: Iterable<Session>, returning: boolean): Promise<void> {
    const lost = returning && (await this.redis.exists(replicaKey(this.replica))) === 0;
    const batch = this.redis.pipeline().set(DIRECTORY_KEY, '1');
    if (lost) batch.set(REBUILDING_KEY, this.replica, 'PX', this.timings.heartbeatTtlMs);
    await batch.exec();
    await this.refresh(sessions);
    await this.heartbeat();
    if (lost) this.logger.info({ replica: this.replica }, 'redis lost the session directory: sessions of this replica registered again');
  }

  /** Whether a session missing from the directory may yet reappear (see the header). Rejects when Redis cannot answer. */
  async rebuilding(): Promise<boolean> {
    const results = await this.redis.pipeline().exists(DIRECTORY_KEY).exists(REBUILDING_KEY).exec();
    const [started, rebuilding] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return started === 0 || rebuilding === 1;
  }

  async heartbeat(): Promise<void> {
    await this.redis.set(replicaKey(this.replica), String(Date.now()), 'PX', this.timings.heartbeatTtlMs);
  }

  /**
   * Whether `replica` is running: its heartbeat key exists and its channel has a subscriber. The
   * subscriber goes the moment a crashed process's connection closes, so a crash is noticed at
   * once; the heartbeat covers a replica cut off from Redis whose connection has not closed yet.
   * Rejects when Redis cannot answer.
   */
  async isAlive(replica: string): Promise<boolean> {
    const results = await this.redis.pipeline().exists(replicaKey(replica)).pubsub('NUMSUB', replicaChannel(replica)).exec();
    const [heartbeat, subscribers] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return heartbeat === 1 && Number((subscribers as [string, number] | undefined)?.[1] ?? 0) > 0;
  }

  /** On shutdown: the other replicas stop relaying here at once instead of after the TTL. */
  async retire(): Promise<void> {
    await this.redis.del(replicaKey(this.replica)).catch(() => undefined);
  }

  private recordOf(session: Session): string {
    const value: SessionRecord = { replica: this.replica, principal: session.owner, kind: session.kind };
    return JSON.stringify(value);
  }
}
