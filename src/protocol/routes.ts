// Every path the HTTP app answers, named once: the routes, the relay's target app, the audit
// line's transport and the request metrics' route label all read them here.
export const ROUTES = {
  /** Streamable HTTP (POST, GET, DELETE). */
  mcp: '/mcp',
  /** Legacy HTTP+SSE: the stream, and where its messages are POSTed. */
  sse: '/sse',
  messages: '/messages',
  metrics: '/metrics',
  /** Liveness answers on both names; readiness on /readyz. */
  live: ['/healthz', '/health'],
  ready: '/readyz',
  /** RFC 9728 protected-resource metadata (and its per-resource suffixes under it). */
  resourceMetadata: '/.well-known/oauth-protected-resource',
  wellKnown: '/.well-known/',
} as const;

/** The paths of the MCP transports, which the audit guard records and the relay serves. */
export function transportOf(url: string): 'streamable' | 'sse' | 'http' {
  const path = url.split('?')[0]!.toLowerCase();
  if (path === ROUTES.mcp) return 'streamable';
  if (path === ROUTES.sse || path === ROUTES.messages) return 'sse';
  return 'http';
}
