// The long-lived pieces the guards share, built once per app from config.http: who is calling
// (Authenticator), how often (RateLimits), and the record of it (AuditLog). close() stops the
// file watchers, the Redis connection and the audit file.
import type { Request } from 'express';
import type { Logger } from '../log.js';
import { AuditLog, type AuditSink } from './audit.js';
import { Authenticator } from './auth.js';
import type { FileWatchOptions } from './file-watch.js';
import type { HttpConfig } from '../config.js';
import { RateLimits } from './rate-limit.js';

export interface SecurityOptions {
  /** Receives audit lines instead of stdout or --audit-log (specs). */
  auditSink?: AuditSink;
  /** How the tokens file and TLS files are watched (specs shorten the poll). */
  fileWatch?: FileWatchOptions;
}

export class HttpSecurity {
  private constructor(
    readonly authenticator: Authenticator,
    readonly limits: RateLimits,
    readonly audit: AuditLog,
  ) {}

  /** Throws when the tokens file or the audit log cannot be opened. */
  static create(config: HttpConfig, logger: Logger, options: SecurityOptions = {}): HttpSecurity {
    const audit = AuditLog.open(config.auditLog, logger, options.auditSink);
    let authenticator: Authenticator;
    try {
      authenticator = new Authenticator(config.auth, logger, options.fileWatch);
    } catch (err) {
      void audit.close();
      throw err;
    }
    const limits = new RateLimits(
      {
        perPrincipalPerMinute: config.rateLimitPerMinute,
        authFailuresPerMinute: config.authFailuresPerMinute,
        ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      },
      logger,
    );
    return new HttpSecurity(authenticator, limits, audit);
  }

  /**
   * The client's address: the socket's peer, or what trusted proxies say (--trust-proxy).
   * Remembered per request: express works req.ip out anew on every read (proxy-addr over the
   * forwarding headers), and four guards ask for it.
   */
  readonly clientIp = (req: Request): string => {
    let ip = this.ips.get(req);
    if (ip === undefined) {
      const raw = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      ip = raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
      this.ips.set(req, ip);
    }
    return ip;
  };

  private readonly ips = new WeakMap<Request, string>();

  async close(): Promise<void> {
    this.authenticator.stop();
    await Promise.allSettled([this.limits.close(), this.audit.close()]);
  }
}
