// JWTs from an OpenID Connect issuer: the signing keys come from its JWKS (discovered from
// /.well-known/openid-configuration unless --oidc-jwks-uri names it), fetched and cached by
// jose's createRemoteJWKSet (refetched when a token names an unknown key, with a cooldown).
// Checked: signature, exp, nbf, iss, aud; the principal is `sub`, groups come from a claim.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../log.js';
import { isLoopbackHost } from '../loopback.js';
import type { Principal } from '../sessions/principal.js';

export interface OidcSettings {
  issuer: string;
  audience: string[];
  jwksUri?: string;
  groupsClaim: string;
}

export type JwtFailure =
  | 'expired'
  | 'not_yet_valid'
  | 'bad_claims'
  | 'bad_signature'
  | 'unknown_key'
  | 'malformed'
  | 'issuer_unreachable'
  | 'reserved_identity';

export class JwtRejected extends Error {
  constructor(readonly reason: JwtFailure) {
    super(`JWT rejected: ${reason}`);
  }
}

// Asymmetric algorithms only: a JWKS-verified token can never be accepted as HS256 (signed with
// the public key as an HMAC secret) or `none`.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const FETCH_TIMEOUT_MS = 5000;
// Clock skew between this server and the issuer that is tolerated on exp and nbf.
const CLOCK_TOLERANCE_SEC = 30;

/** A compact JWS looks like three base64url parts: only those are worth verifying as JWTs. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export class OidcVerifier {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
  ) {
    // Allowed (a test issuer, a sidecar), but whoever sits on the path could serve their own keys.
    for (const [setting, value] of [
      ['issuer', settings.issuer],
      ['jwksUri', settings.jwksUri],
    ] as const) {
      if (value !== undefined && plainHttpBeyondLoopback(value)) {
        logger.warn({ [setting]: value }, 'OIDC keys fetched over plain http from another host: anyone on the path could sign tokens; use https');
      }
    }
  }

  async verify(token: string): Promise<Principal> {
    const keys = await this.jwks();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SEC,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      throw new JwtRejected(classify(err));
    }
    const sub = payload.sub!;
    // Kubernetes reserves system: names (system:masters, service accounts): never impersonate one.
    if (sub.startsWith('system:')) throw new JwtRejected('reserved_identity');
    const groups = groupsFrom(payload, this.settings.groupsClaim).filter((g) => !g.startsWith('system:'));
    return {
      key: `jwt:${payload.iss}#${sub}`,
      id: sub,
      user: sub,
      groups,
      method: 'jwt',
      ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
    };
  }

  /** The key set, discovered once; a failed discovery is retried by the next request. */
  private jwks(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discover().catch((err: unknown) => {
      this.keys = undefined;
      this.logger.warn({ issuer: this.settings.issuer, err: err instanceof Error ? err.message : String(err) }, 'OIDC discovery failed');
      throw new JwtRejected('issuer_unreachable');
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    let jwksUri = this.settings.jwksUri;
    if (!jwksUri) {
      const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
      if (doc.issuer !== this.settings.issuer) throw new Error(`the discovery document names issuer ${String(doc.issuer)}`);
      if (typeof doc.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
      jwksUri = doc.jwks_uri;
    }
    this.logger.info({ issuer: this.settings.issuer, jwksUri }, 'OIDC keys from JWKS');
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  }
}

function classify(err: unknown): JwtFailure {
  if (err instanceof JwtRejected) return err.reason;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === 'nbf' ? 'not_yet_valid' : 'bad_claims';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'unknown_key';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return 'issuer_unreachable';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'bad_signature';
  if (err instanceof errors.JOSEError) return 'malformed';
  // fetch of the JWKS failed (connection refused, DNS, …).
  return 'issuer_unreachable';
}

/** Groups from `claim`, which may be a dotted path (realm_access.roles); a string counts as one group. */
export function groupsFrom(payload: JWTPayload, claim: string): string[] {
  let value: unknown = payload[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), payload);
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}

function plainHttpBeyondLoopback(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}
