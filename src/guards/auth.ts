// Authentication of every MCP and metrics request (health probes and the RFC 9728 document are
// mounted before the guards): static bearer tokens (AUTH_TOKENS, --auth-tokens-file) and, with
// --oidc-issuer, JWTs. A failure is always the same 401 body and challenge, whatever the reason;
// the reason goes to the audit log and the cnpg_mcp_auth_failures_total metric only.
// The type-only import brings in the SDK's `req.auth` declaration on express's Request.
import type {} from '@modelcontextprotocol/express';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/server';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { authFailures } from '../metrics.js';
import type { AuditLog } from './audit.js';
import { presentedCredentials, redactUrl, stripQueryToken } from './credentials.js';
import { closeIfBodyPending, refuse } from '../protocol/errors.js';
import type { FileWatchOptions } from './file-watch.js';
import { JwtRejected, looksLikeJwt, OidcVerifier, type OidcSettings } from './oidc.js';
import { anonymousAt, setPrincipal, toAuthInfo, type Principal } from '../sessions/principal.js';
import { refuseIfAddressBlocked, type RateLimits } from './rate-limit.js';
import { TokenSource } from './token-source.js';

export const REALM = 'cnpg-mcp';

export interface AuthSettings {
  tokens: string[];
  tokensFile?: string;
  oidc?: OidcSettings;
  resourceUrl?: string;
  allowQueryToken: boolean;
}

export type AuthResult = { principal: Principal } | { failure: string };

export class Authenticator {
  readonly enabled: boolean;
  readonly challenge: string;
  readonly tokenSource?: TokenSource;
  private readonly oidc?: OidcVerifier;

  constructor(
    private readonly settings: AuthSettings,
    logger: Logger,
    watch: FileWatchOptions = {},
  ) {
    this.enabled = settings.tokens.length > 0 || settings.tokensFile !== undefined || settings.oidc !== undefined;
    if (settings.tokens.length > 0 || settings.tokensFile) this.tokenSource = new TokenSource(settings.tokens, settings.tokensFile, logger, watch);
    if (settings.oidc) this.oidc = new OidcVerifier(settings.oidc, logger);
    const metadata = settings.resourceUrl ? `, resource_metadata="${resourceMetadataUrl(settings.resourceUrl)}"` : '';
    this.challenge = `Bearer realm="${REALM}"${metadata}`;
  }

  async authenticate(req: Request): Promise<AuthResult> {
    const presented = presentedCredentials(req, this.settings.allowQueryToken);
    if ('problem' in presented) return { failure: presented.problem };
    const principal = this.tokenSource?.tokens.verify(presented.token);
    if (principal) return { principal };
    if (this.oidc && looksLikeJwt(presented.token)) {
      try {
        return { principal: await this.oidc.verify(presented.token) };
      } catch (err) {
        if (err instanceof JwtRejected) return { failure: `jwt_${err.reason}` };
        throw err;
      }
    }
    return { failure: 'unknown' };
  }

  stop(): void {
    this.tokenSource?.stop();
  }
}

/** Where the RFC 9728 document of `resourceUrl` lives (the resource's path is part of it). */
export function resourceMetadataUrl(resourceUrl: string): string {
  return getOAuthProtectedResourceMetadataUrl(new URL(resourceUrl));
}

export function authGuard(auth: Authenticator, limits: RateLimits, audit: AuditLog, clientIp: (req: Request) => string): RequestHandler {
  return async (req, res, next) => {
    // Whatever happens next, a query token goes no further than here: the URL that routes,
    // transports and logs see has no token, and originalUrl keeps only `token=[redacted]`.
    req.originalUrl = redactUrl(req.originalUrl);
    const result: AuthResult = auth.enabled ? await auth.authenticate(req) : { principal: anonymousAt(clientIp(req)) };
    stripQueryToken(req);
    if ('principal' in result) {
      setPrincipal(req, result.principal);
      // The SDK transports hand req.auth to handlers as ctx.http.authInfo.
      req.auth = toAuthInfo(result.principal);
      return next();
    }
    const ip = clientIp(req);
    authFailures.inc({ reason: result.failure });
    audit.refusal(req, ip, { event: 'auth_failure', reason: result.failure });
    // A blocked address gets 429 for its failures only (rate-limit.ts).
    refuseIfAddressBlocked(limits, audit, { req, res, ip }, async () => {
      const { delayMs } = await limits.authFailed(ip);
      // Repeated failures from one address are answered ever more slowly (rate-limit.ts).
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      closeIfBodyPending(req, res);
      refuse.unauthorized(res, auth.challenge);
    });
  };
}
