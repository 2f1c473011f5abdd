// The long-lived pieces the guards share, built once per app from config.http: who is calling
// (Authenticator), how often (RateLimits), and the record of it (AuditLog). close() stops the
// file watchers, the Redis connection and the audit file.
import type { Request } from 'express';
import type { Logger } from '../log.js';
import { AuditLog, type AuditSink } from './audit.js';
import { Authenticator } from './auth.js';
import type { FileWatchOptions } from './file-watch.js';
import type { HttpConfig } from './guards.js';
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
      { perPrincipalPerMinute: config.rateLimitPerMinute, authFailuresPerMinute: config.authFailuresPerMinute, ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}) },
      logger,
    );
    return new HttpSecurity(authenticator, limits, audit);
  }

  /** The client's address: the socket's peer, or what trusted proxies say (--trust-proxy). */
  readonly clientIp = (req: Request): string => {
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  };

  async close(): Promise<void> {
    this.authenticator.stop();
    await Promise.allSettled([this.limits.close(), this.audit.close()]);
  }
}
