// Static bearer tokens: the tokens-file format, and the constant-time lookup.
//
// File format (docs: SECURITY.md), one entry per line, e.g. a key of a Kubernetes Secret:
//   # a comment
//   <token>                              principal named after the token's fingerprint
//   <token>:<principal>                  principal (Kubernetes user with --impersonate)
//   <token>:<principal>:<group>,<group>  … and its groups
// A token is an RFC 6750 b64token of at least 16 characters, so ':' never occurs in one. Names
// and groups cannot hold ':' either, which also rules out every reserved `system:` identity.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../sessions/principal.js';
import { tokenFingerprint } from '../sessions/principal.js';

/** RFC 6750 §2.1 b64token: what may follow "Bearer ". */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MIN_TOKEN_LENGTH = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,252}$/;

export interface TokenEntry {
  /** SHA-256 of the token: the token itself is not kept. */
  digest: Buffer;
  principal: Principal;
}

export interface ParsedTokens {
  entries: TokenEntry[];
  /** One line per problem, naming the line number, never the token. */
  problems: string[];
}

export function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The principal of a token: named by its line, or by its fingerprint. */
export function tokenPrincipal(token: string, name?: string, groups: string[] = []): Principal {
  const fingerprint = tokenFingerprint(token);
  return {
    // Named tokens share one key, so a client may switch to a rotated token of the same principal
    // mid-session; unnamed tokens are each their own principal.
    key: name ? `token-user:${name}` : `token:${fingerprint}`,
    id: fingerprint,
    ...(name ? { name } : {}),
    user: name ?? `cnpg-mcp:token:${fingerprint}`,
    groups,
    method: 'token',
    tokenFingerprint: fingerprint,
  };
}

export function parseTokenLine(line: string): { entry?: TokenEntry; problem?: string } {
  const [token = '', name, groupList, ...extra] = line.split(':');
  if (extra.length > 0) return { problem: 'too many ":" (names and groups cannot contain ":")' };
  if (!B64TOKEN.test(token)) return { problem: 'the token has characters a bearer token cannot have' };
  if (token.length < MIN_TOKEN_LENGTH) return { problem: `the token is shorter than ${MIN_TOKEN_LENGTH} characters` };
  if (name !== undefined && !NAME.test(name)) return { problem: 'the principal name is empty or has characters other than letters, digits and ._@+-' };
  const groups = groupList === undefined ? [] : groupList.split(',').map((g) => g.trim());
  if (groups.some((g) => !NAME.test(g))) return { problem: 'a group is empty or has characters other than letters, digits and ._@+-' };
  return { entry: { digest: digestOf(token), principal: tokenPrincipal(token, name, groups) } };
}

export function parseTokensFile(text: string): ParsedTokens {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const { entry, problem } = parseTokenLine(line);
    if (entry) entries.push(entry);
    else problems.push(`line ${index + 1}: ${problem}; line ignored`);
  });
  return { entries, problems };
}

/** An immutable set of tokens; a reload builds a new one and swaps it in. */
export class TokenSet {
  constructor(readonly entries: readonly TokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /**
   * The principal of `token`, or undefined. Both sides are SHA-256 digests of equal length
   * compared with timingSafeEqual, and every entry is compared (no early exit), so the time
   * taken tells nothing about how close a guess was, nor which entry matched.
   */
  verify(token: string): Principal | undefined {
    const presented = digestOf(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.digest) && !found) found = entry.principal;
    }
    return found;
  }
}
