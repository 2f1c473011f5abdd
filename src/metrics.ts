// Prometheus metrics of this process, declared in one place so names stay consistent.
// Served at /metrics by the HTTP transport (behind auth or on --metrics-port).
//
// prom-client is loaded on the first use of a metric, not at import: its index and default
// metrics cost ~100 ms of CPU (issue #13), and stdio, which never serves them, imports this file
// through the tool call path. The HTTP transport loads them at start (collectProcessMetrics).
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

const requireCjs = createRequire(import.meta.url);
let promClient: typeof Prom | undefined;
const prom = () => (promClient ??= requireCjs('prom-client') as typeof Prom);

// Every lazy object below, so collectProcessMetrics can make them all at once.
const everyMetric: { make(): void }[] = [];

/** `make()`'s object, made on its first property read; methods are bound to it once. */
function onFirstUse<T extends object>(make: () => T): T {
  let real: T | undefined;
  const made = (): T => {
    real ??= make();
    return real;
  };
  everyMetric.push({ make: made });
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy({} as T, {
    get(_, key) {
      const target = made();
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (!bound.has(key)) bound.set(key, value.bind(target));
      return bound.get(key);
    },
  });
}

export const registry = onFirstUse(() => {
  const made = new (prom().Registry)();
  // prom-client's default names already start with process_ or nodejs_ (issue #12: no process_process_).
  prom().collectDefaultMetrics({ register: made, prefix: 'cnpg_mcp_' });
  return made;
});

/**
 * Makes every metric now (HTTP start-up): /metrics lists each from the start, at zero, and Node's
 * default metrics count from the start, not from the first request.
 */
export function collectProcessMetrics(): void {
  for (const metric of everyMetric) metric.make();
}

export const kubeApiRequests = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_kube_api_requests_total',
      help: 'Requests this server sent to the Kubernetes API, by verb',
      labelNames: ['verb'] as const,
      registers: [registry],
    }),
);

export const cacheReads = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_cache_reads_total',
      help: 'Reads of CloudNativePG objects by kind and whether the watch cache answered (hit) or the API did (miss)',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
);

export const toolCalls = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_tool_calls_total',
      help: 'Tool calls by tool and outcome (ok, error)',
      labelNames: ['tool', 'outcome'] as const,
      registers: [registry],
    }),
);

export const toolDuration = onFirstUse(
  () =>
    new (prom().Histogram)({
      name: 'cnpg_mcp_tool_call_duration_seconds',
      help: 'Tool call latency by tool',
      labelNames: ['tool'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
);

export const activeSessions = onFirstUse(
  () =>
    new (prom().Gauge)({
      name: 'cnpg_mcp_active_sessions',
      help: 'Open MCP sessions by transport',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
);

// --- HTTP transport (issue #5) ---------------------------------------------------------------

export const httpRequests = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_http_requests_total',
      help: 'HTTP requests by route (unknown paths count as "other"), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
);

export const httpDuration = onFirstUse(
  () =>
    new (prom().Histogram)({
      name: 'cnpg_mcp_http_request_duration_seconds',
      help: 'HTTP request duration by route and method (a stream counts until it ends)',
      labelNames: ['route', 'method'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600, 3600],
      registers: [registry],
    }),
);

export const authFailures = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_auth_failures_total',
      help: 'Requests refused for failed authentication, by reason (missing, empty, malformed, unknown, expired, …)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
);

export const rateLimited = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_rate_limited_total',
      help: 'Requests refused with 429, by scope (principal: request rate; address: blocked after failed authentications)',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
);

export const originRejections = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_origin_rejections_total',
      help: 'Requests refused with 403 for a disallowed Origin or Host header, by reason (origin, host)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
);

export const sessionsEvicted = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_sessions_evicted_total',
      help: 'Idle sessions closed to make room for a new one of a principal at --max-sessions-per-principal',
      registers: [registry],
    }),
);

export const callsRefused = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_calls_refused_total',
      help: 'Requests refused by a server limit, by limit (concurrent_calls, sessions_per_principal)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
);

export const streamsOverflowed = onFirstUse(
  () =>
    new (prom().Counter)({
      name: 'cnpg_mcp_streams_overflowed_total',
      help: 'Event streams (legacy SSE, Streamable HTTP GET) ended, with their session, because their client stopped reading and what waited for it passed the buffer cap',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
);
