// The harness's Streamable HTTP scenarios for users who bring their own k6 (not installed here).
// One self-contained script (k6 runs TypeScript as is); pick scenarios with SCENARIO:
//
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e SCENARIO=streamable_session load/k6/mcp.ts
//   k6 run -e SCENARIO=streamable_sessionless,churn load/k6/mcp.ts
//   k6 run -e BASE_URL=http://127.0.0.1:3999 -e SCENARIO=echo load/k6/mcp.ts   (load/echo-server.ts)
//
// Scenarios (as in load/, see docs/benchmarks.md): streamable_session, streamable_sessionless,
// echo, sweep (1, 10, 100, 1,000 clients), churn, soak. The legacy SSE scenario needs a
// streaming client: load/k6/legacy-sse.ts (xk6-sse). Environment: BASE_URL, TOKEN, TOOL,
// TOOL_ARGS (JSON), CLIENTS, DURATION, CALLS (per session, 0 = one session per VU), SESSIONS
// (churn), DEADLINE. Thresholds: no error and no lost response anywhere; the issue #7 targets for
// the scenarios that have one. Point it at loopback or at a server you own.
import { check } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';

const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:3000';
const TOKEN = __ENV.TOKEN;
const TOOL = __ENV.TOOL ?? 'get_cluster_status';
const TOOL_ARGS = JSON.parse(__ENV.TOOL_ARGS ?? '{"name":"bench-pg","namespace":"default"}') as Record<string, unknown>;
const CLIENTS = Number(__ENV.CLIENTS ?? 50);
const DURATION = __ENV.DURATION ?? '30s';
const CALLS_PER_SESSION = Number(__ENV.CALLS ?? 0);
const DEADLINE = __ENV.DEADLINE ?? '10s';

const SESSION_PROTOCOL = '2025-11-25';
const SESSIONLESS_PROTOCOL = '2026-07-28';
const CLIENT_INFO = { name: 'cnpg-mcp-k6', version: '1.0.0' };
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': SESSIONLESS_PROTOCOL,
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
};

const callDuration = new Trend('mcp_call_duration', true);
const calls = new Counter('mcp_calls');
const errors = new Counter('mcp_errors');
const lost = new Counter('mcp_lost');
const sessions = new Counter('mcp_sessions');

const constant = (exec: string, vus = CLIENTS, duration = DURATION): Scenario => ({ executor: 'constant-vus', exec, vus, duration });

const ALL_SCENARIOS: Record<string, Scenario> = {
  streamable_session: constant('streamableSession'),
  streamable_sessionless: constant('streamableSessionless'),
  echo: constant('streamableSessionless'),
  // Sequential steps of 1, 10, 100 and 1,000 clients: throughput and p99 against clients.
  sweep_1: { ...constant('streamableSession', 1, __ENV.STEP ?? '10s'), startTime: '0s' },
  sweep_10: { ...constant('streamableSession', 10, __ENV.STEP ?? '10s'), startTime: '12s' },
  sweep_100: { ...constant('streamableSession', 100, __ENV.STEP ?? '10s'), startTime: '24s' },
  sweep_1000: { ...constant('streamableSession', 1000, __ENV.STEP ?? '10s'), startTime: '36s' },
  churn: { executor: 'shared-iterations', exec: 'churn', vus: CLIENTS, iterations: Number(__ENV.SESSIONS ?? 1000), maxDuration: '10m' },
  soak: constant('soak', Number(__ENV.CLIENTS ?? 500), __ENV.DURATION ?? '10m'),
};

/** The issue #7 targets, per scenario (throughput is a rate of mcp_calls). */
const TARGETS: Record<string, Record<string, string[]>> = {
  streamable_session: { 'mcp_call_duration{scenario:streamable_session}': ['p(99)<=20'], 'mcp_calls{scenario:streamable_session}': ['rate>=6000'] },
  streamable_sessionless: { 'mcp_call_duration{scenario:streamable_sessionless}': ['p(99)<=20'], 'mcp_calls{scenario:streamable_sessionless}': ['rate>=6000'] },
};

function selectedScenarios(): Record<string, Scenario> {
  const names = (__ENV.SCENARIO ?? 'streamable_session').split(',').flatMap((n) => (n === 'sweep' ? ['sweep_1', 'sweep_10', 'sweep_100', 'sweep_1000'] : [n]));
  const picked: Record<string, Scenario> = {};
  for (const name of names) {
    const scenario = ALL_SCENARIOS[name];
    if (!scenario) throw new Error(`unknown SCENARIO ${name}; one of ${Object.keys(ALL_SCENARIOS).join(', ')}, sweep`);
    picked[name] = scenario;
  }
  return picked;
}

const scenarios = selectedScenarios();
export const options: Options = {
  scenarios,
  thresholds: {
    mcp_errors: ['count==0'],
    mcp_lost: ['count==0'],
    ...Object.assign({}, ...Object.keys(scenarios).map((name) => TARGETS[name] ?? {})),
  },
  // Sessions are the point of most scenarios: keep connections like an MCP client does.
  noConnectionReuse: false,
  discardResponseBodies: false,
};

type JsonRpcResponse = { jsonrpc: '2.0'; id?: number; result?: Record<string, unknown>; error?: { code: number; message: string } };

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...extra };
  if (TOKEN) h.Authorization = `Bearer ${TOKEN}`;
  return h;
}

/** The JSON-RPC response of `id` in a JSON body or in a finished SSE body (Streamable HTTP answers either way). */
export function responseOf(body: string, contentType: string, id: number): JsonRpcResponse | undefined {
  if (!contentType.startsWith('text/event-stream')) {
    const parsed = JSON.parse(body) as JsonRpcResponse | JsonRpcResponse[];
    return Array.isArray(parsed) ? parsed.find((m) => m.id === id) : parsed;
  }
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.charAt(5) === ' ' ? 6 : 5))
      .join('\n');
    if (data === '') continue;
    const message = JSON.parse(data) as JsonRpcResponse;
    if (message.id === id) return message;
  }
  return undefined;
}

interface Exchange {
  ok: boolean;
  message?: JsonRpcResponse;
  sessionId?: string;
}

/** POSTs one request; counts what went wrong (error or lost) and returns the answer. */
function post(method: string, id: number, params: Record<string, unknown>, extraHeaders: Record<string, string>, measured: boolean): Exchange {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
  const res = http.post(`${BASE_URL}/mcp`, body, { headers: headers(extraHeaders), timeout: DEADLINE, tags: { mcp_method: method } });
  if (res.error_code === 1050 || res.status === 0) {
    lost.add(1);
    return { ok: false };
  }
  const message = res.status >= 200 && res.status < 300 ? responseOf(String(res.body ?? ''), String(res.headers['Content-Type'] ?? ''), id) : undefined;
  const ok = check(res, {
    'HTTP 2xx': (r) => r.status >= 200 && r.status < 300,
    answered: () => message !== undefined,
    'no JSON-RPC error': () => message?.error === undefined,
    'no tool error': () => message?.result?.isError !== true,
  });
  if (message === undefined && res.status >= 200 && res.status < 300) lost.add(1);
  else if (!ok) errors.add(1);
  if (ok && measured) {
    calls.add(1);
    callDuration.add(res.timings.duration);
  }
  return { ok, message, sessionId: res.headers['Mcp-Session-Id'] };
}

function notify(method: string, extraHeaders: Record<string, string>): boolean {
  const res = http.post(`${BASE_URL}/mcp`, JSON.stringify({ jsonrpc: '2.0', method }), { headers: headers(extraHeaders), timeout: DEADLINE });
  const ok = check(res, { 'notification accepted': (r) => r.status === 202 });
  if (!ok) errors.add(1);
  return ok;
}

// Per-VU state: each VU is one independent client with its own session.
let sessionId: string | undefined;
let sessionHeaders: Record<string, string> = {};
let nextId = 1;
let callsInSession = 0;

function openSession(): boolean {
  const init = post('initialize', nextId++, { protocolVersion: SESSION_PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO }, {}, false);
  if (!init.ok || !init.sessionId) {
    if (init.ok) errors.add(1);
    return false;
  }
  sessionId = init.sessionId;
  sessionHeaders = { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': SESSION_PROTOCOL };
  sessions.add(1);
  callsInSession = 0;
  return notify('notifications/initialized', sessionHeaders) && post('tools/list', nextId++, {}, sessionHeaders, false).ok;
}

function closeSession(): void {
  if (sessionId === undefined) return;
  http.del(`${BASE_URL}/mcp`, null, { headers: headers(sessionHeaders), timeout: DEADLINE });
  sessionId = undefined;
}

/** initialize → tools/list → M calls → DELETE, again and again (M = CALLS, 0 = never close). */
export function streamableSession(): void {
  if (sessionId !== undefined && CALLS_PER_SESSION > 0 && callsInSession >= CALLS_PER_SESSION) closeSession();
  if (sessionId === undefined && !openSession()) {
    sessionId = undefined;
    return;
  }
  callsInSession++;
  if (!post('tools/call', nextId++, { name: TOOL, arguments: TOOL_ARGS }, sessionHeaders, true).ok) closeSession();
}

/** 2026-07-28: no session; each request carries its envelope (also drives load/echo-server.ts). */
export function streamableSessionless(): void {
  const extra = { 'Mcp-Method': 'tools/call', 'Mcp-Name': TOOL, 'MCP-Protocol-Version': SESSIONLESS_PROTOCOL };
  post('tools/call', nextId++, { name: TOOL, arguments: TOOL_ARGS, _meta: ENVELOPE }, extra, true);
}

/** One whole short session per iteration: open → tools/list → one call → close. */
export function churn(): void {
  if (openSession()) post('tools/call', nextId++, { name: TOOL, arguments: TOOL_ARGS }, sessionHeaders, true);
  closeSession();
}

/** Steady mixed load: even VUs hold sessions, odd VUs are session-less. */
export function soak(): void {
  if (__VU % 2 === 0) streamableSession();
  else streamableSessionless();
}

export function teardown(): void {
  // Sessions of the VUs end with the server's idle timeout or its shutdown; k6 has no per-VU teardown.
}
