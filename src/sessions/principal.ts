// Who is calling: the principal an auth guard established for a request. Sessions are bound to
// its `key`, rate limits count by it, the audit log names it, and with --impersonate its `user`
// and `groups` become the Kubernetes identity the tools act as.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';

export interface Principal {
  /** What sessions are bound to and the per-principal limits count by. Never a token. */
  key: string;
  /**
   * What the audit log names: the token's fingerprint, or the JWT `sub`. For a token whose
   * tokens-file line names a principal, the name is in `user` as well.
   */
  id: string;
  /** The principal name a tokens-file line gave its token, if any. */
  name?: string;
  /** Kubernetes user to impersonate. */
  user: string;
  /** Kubernetes groups to impersonate. */
  groups: string[];
  method: 'token' | 'jwt' | 'none';
  /** First 12 hex digits of the token's SHA-256: names a token in logs without revealing it. */
  tokenFingerprint?: string;
  /** Seconds since the epoch, for JWTs. */
  expiresAt?: number;
}

/** SHA-256 of `token`, first 12 hex digits (48 bits): enough to tell tokens apart in a log, useless to guess one. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
}

/** The caller when no authentication is configured (loopback development only). */
export const ANONYMOUS: Principal = Object.freeze({ key: 'anonymous', id: 'anonymous', user: 'anonymous', groups: [], method: 'none' }) as Principal;

/**
 * The caller without authentication, one per client address: each address has its own sessions
 * (and their cap) and its own request budget, instead of every local client sharing one
 * (issue #12, item 19). Its audit name stays `anonymous`.
 */
export function anonymousAt(address: string): Principal {
  let principal = anonymousByAddress.get(address);
  if (!principal) {
    // Bounded: addresses are the client's to choose (IPv6); a full map starts over.
    if (anonymousByAddress.size >= ANONYMOUS_CACHE_MAX) anonymousByAddress.clear();
    principal = Object.freeze({ ...ANONYMOUS, key: `anonymous@${address}` }) as Principal;
    anonymousByAddress.set(address, principal);
  }
  return principal;
}

// One frozen principal per address rather than one per request: its AuthInfo (toAuthInfo) is
// then made once too. Frozen, so sharing it between requests shares nothing that can change.
const anonymousByAddress = new Map<string, Principal>();
const ANONYMOUS_CACHE_MAX = 4096;

// A WeakMap rather than a request property: nothing a client sends can set or overwrite it.
const principals = new WeakMap<IncomingMessage, Principal>();

export function setPrincipal(req: IncomingMessage, principal: Principal): void {
  principals.set(req, principal);
}

export function principalOf(req: IncomingMessage): Principal | undefined {
  return principals.get(req);
}

/**
 * What the SDK passes on to handlers as ctx.http.authInfo. `token` holds the fingerprint, not the
 * token: nothing past the auth guard needs the secret, so nothing past it can leak it.
 */
export function toAuthInfo(principal: Principal): AuthInfo {
  // One per principal object, not one per request: the SDK only reads it.
  let info = authInfos.get(principal);
  if (!info) {
    info = {
      token: principal.tokenFingerprint ?? principal.id,
      clientId: principal.id,
      scopes: [],
      ...(principal.expiresAt !== undefined ? { expiresAt: principal.expiresAt } : {}),
      extra: { principal },
    };
    authInfos.set(principal, info);
  }
  return info;
}

const authInfos = new WeakMap<Principal, AuthInfo>();

/** The principal carried by an AuthInfo made by toAuthInfo (the 2026 handler hands us only that). */
export function principalFromAuthInfo(info: AuthInfo | undefined): Principal | undefined {
  return (info?.extra as { principal?: Principal } | undefined)?.principal;
}
