// Reading the bearer token a request presents, strictly: one Authorization header with the
// Bearer scheme (RFC 6750 §2.1; the scheme name is case-insensitive, RFC 9110 §11.1), or, only
// with --allow-query-token, one `?token=` query parameter (for EventSource clients, which
// cannot set headers). Anything ambiguous — two Authorization headers, a header and a query
// token, two query tokens — is refused rather than resolved by guessing.
import type { IncomingMessage } from 'node:http';
import { B64TOKEN } from './tokens.js';

export type CredentialProblem = 'missing' | 'empty' | 'malformed' | 'ambiguous' | 'query_token_disabled';

export type Presented = { token: string; from: 'header' | 'query' } | { problem: CredentialProblem };

const QUERY_PARAM = 'token';

export function presentedCredentials(req: IncomingMessage, allowQueryToken: boolean): Presented {
  const headers = authorizationHeaders(req);
  const query = queryTokens(req.url);
  if (headers.length > 1 || query.length > 1) return { problem: 'ambiguous' };
  if (query.length === 1) {
    // Refused, not ignored: a token in a URL ends up in proxy logs and browser history, and a
    // client sending one should learn at once that it is not accepted here.
    if (!allowQueryToken) return { problem: 'query_token_disabled' };
    if (headers.length === 1) return { problem: 'ambiguous' };
    const token = query[0]!;
    if (token === '') return { problem: 'empty' };
    return B64TOKEN.test(token) ? { token, from: 'query' } : { problem: 'malformed' };
  }
  if (headers.length === 0) return { problem: 'missing' };
  const match = /^Bearer(?: +(.*))?$/i.exec(headers[0]!.trim());
  if (!match) return { problem: 'malformed' };
  const token = (match[1] ?? '').trim();
  if (token === '') return { problem: 'empty' };
  return B64TOKEN.test(token) ? { token, from: 'header' } : { problem: 'malformed' };
}

/**
 * Every Authorization header as sent. Node keeps only the first of duplicate Authorization
 * headers in req.headers; rawHeaders has them all, whatever their case.
 */
function authorizationHeaders(req: IncomingMessage): string[] {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1]!);
  }
  return values;
}

function queryTokens(url: string | undefined): string[] {
  const at = url?.indexOf('?') ?? -1;
  if (at < 0) return [];
  return new URLSearchParams(url!.slice(at + 1)).getAll(QUERY_PARAM);
}

/** `url` with the value of every `token` parameter replaced by [redacted]: the form that may be logged. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0 || !mayNameToken(url, at)) return url;
  const params = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return safeDecode(name) === QUERY_PARAM ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${params.join('&')}`;
}

/**
 * Removes `token` parameters from req.url once they have been read, so nothing downstream (the
 * SDK transports, error logs) ever holds the token.
 */
export function stripQueryToken(req: IncomingMessage): void {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  if (at < 0 || !mayNameToken(url, at)) return;
  const kept = url
    .slice(at + 1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return safeDecode(eq < 0 ? pair : pair.slice(0, eq)) !== QUERY_PARAM;
    });
  req.url = kept.length ? `${url.slice(0, at)}?${kept.join('&')}` : url.slice(0, at);
}

/**
 * A parameter named `token` is spelled out or percent-encoded: a query with neither (the legacy
 * SSE POST's `?sessionId=<uuid>`) is passed over without splitting and decoding it per request.
 */
function mayNameToken(url: string, queryAt: number): boolean {
  return url.includes(QUERY_PARAM, queryAt) || url.includes('%', queryAt);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
