// Every open MCP session of both HTTP transports, in one place: the maximum, idle expiry,
// the in-flight count shutdown waits on, and closing them all. Each session owns its own
// McpServer and transport (never shared: one session's state must not reach another).
import type { Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import { SessionActivity } from './activity.js';

export type SessionKind = 'sse' | 'streamable';

export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  readonly transport: Transport;
  readonly activity: SessionActivity;
}

interface Entry extends Session {
  close(): Promise<void>;
}

export interface SessionRegistryOptions {
  maxSessions: number;
  idleTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Set<() => void>();
  private exchanges = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

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

  hasRoom(): boolean {
    return this.entries.size < this.options.maxSessions;
  }

  /**
   * Registers a session at once, so concurrent opens cannot overshoot the maximum.
   * Returns undefined when the maximum is reached. `close` must end the session's MCP server.
   */
  open(id: string, kind: SessionKind, transport: Transport, close: () => Promise<void>): Session | undefined {
    if (!this.hasRoom()) return undefined;
    const entry: Entry = { id, kind, transport, activity: new SessionActivity(() => this.changed(), this.now), close };
    this.entries.set(id, entry);
    this.options.logger.debug({ session: id, kind, open: this.entries.size }, 'session opened');
    return entry;
  }

  get(id: string): Session | undefined {
    return this.entries.get(id);
  }

  /** Forgets a session whose transport closed. Idempotent. */
  remove(id: string): void {
    if (!this.entries.delete(id)) return;
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

  private expireIdle(): void {
    const now = this.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.activity.inflight > 0 || now - entry.activity.lastActiveAt < this.options.idleTimeoutMs) continue;
      this.options.logger.info({ session: entry.id, kind: entry.kind }, 'closing idle session');
      this.remove(entry.id);
      entry.close().catch((err: unknown) => this.options.logger.warn({ session: entry.id, err: String(err) }, 'closing an idle session failed'));
    }
  }
}
