// The harness's legacy SSE scenario (protocol 2024-11-05) for k6 built with xk6-sse (see
// xk6-sse.d.ts): each VU opens GET /sse, reads the `endpoint` event, then runs initialize →
// tools/list → CALLS tool calls, each POSTed to /messages?sessionId=… (202) with its answer read
// off the stream, and closes the stream. A request still unanswered when the session ends, or
// answered later than DEADLINE_MS, counts as lost.
//
//   ./k6 run -e BASE_URL=http://127.0.0.1:3000 -e CLIENTS=50 -e DURATION=30s load/k6/legacy-sse.ts
//   ./k6 run -e CLIENTS=10000 -e CALLS=1 -e HOLD=1 -e DURATION=2m load/k6/legacy-sse.ts   (idle sessions)
import { check } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import sse from 'k6/x/sse';

const BASE_URL = __ENV.BASE_URL ?? 'http://127.0.0.1:3000';
const TOKEN = __ENV.TOKEN;
const TOOL = __ENV.TOOL ?? 'get_cluster_status';
const TOOL_ARGS = JSON.parse(__ENV.TOOL_ARGS ?? '{"name":"bench-pg","namespace":"default"}') as Record<string, unknown>;
const CALLS = Number(__ENV.CALLS ?? 1000);
const DEADLINE_MS = Number(__ENV.DEADLINE_MS ?? 10_000);
/** Idle sessions: after its calls a VU keeps its stream open until k6 ends the scenario. */
const HOLD = __ENV.HOLD === '1';

const callDuration = new Trend('mcp_call_duration', true);
const calls = new Counter('mcp_calls');
const errors = new Counter('mcp_errors');
const lost = new Counter('mcp_lost');
const sessions = new Counter('mcp_sessions');

export const options: Options = {
  scenarios: { legacy_sse: { executor: 'constant-vus', vus: Number(__ENV.CLIENTS ?? 50), duration: __ENV.DURATION ?? '30s', exec: 'legacySse' } },
  thresholds: {
    mcp_errors: ['count==0'],
    mcp_lost: ['count==0'],
    // Issue #7 target for legacy SSE at 50 clients.
    'mcp_calls{scenario:legacy_sse}': ['rate>=4000'],
  },
};

function headers(): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': 'application/json' };
  if (TOKEN) h.Authorization = `Bearer ${TOKEN}`;
  return h;
}

export function legacySse(): void {
  let endpoint: string | undefined;
  let nextId = 1;
  let done = 0;
  let closing = false;
  const sentAt = new Map<number, { method: string; at: number }>();

  const send = (method: string, params: Record<string, unknown> | undefined): void => {
    const id = params === undefined ? undefined : nextId++;
    const body = JSON.stringify(id === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', id, method, params });
    if (id !== undefined) sentAt.set(id, { method, at: Date.now() });
    const res = http.post(`${BASE_URL}${endpoint}`, body, { headers: headers(), timeout: `${DEADLINE_MS}ms` });
    if (!check(res, { 'POST accepted (202)': (r) => r.status === 202 })) {
      errors.add(1);
      if (id !== undefined) sentAt.delete(id);
    }
  };

  const response = sse.open(`${BASE_URL}/sse`, { method: 'GET', headers: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {} }, (client) => {
    const finish = () => {
      closing = true;
      client.close();
    };
    client.on('event', (event) => {
      if (event.name === 'endpoint') {
        endpoint = event.data;
        sessions.add(1);
        send('initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'cnpg-mcp-k6', version: '1.0.0' } });
        return;
      }
      if (event.data === '') return;
      const message = JSON.parse(event.data) as { id?: number; result?: { isError?: boolean }; error?: unknown };
      const sent = message.id === undefined ? undefined : sentAt.get(message.id);
      if (!sent) return;
      sentAt.delete(message.id!);
      const took = Date.now() - sent.at;
      if (took > DEADLINE_MS) lost.add(1);
      else if (message.error !== undefined || message.result?.isError === true) errors.add(1);
      if (sent.method === 'initialize') {
        send('notifications/initialized', undefined);
        send('tools/list', {});
        return;
      }
      if (sent.method === 'tools/call') {
        calls.add(1);
        callDuration.add(took);
        done++;
      }
      if (done < CALLS) send('tools/call', { name: TOOL, arguments: TOOL_ARGS });
      else if (!HOLD) finish();
    });
    client.on('error', (e) => {
      if (!closing) errors.add(1, { reason: e.error().slice(0, 100) });
    });
  });
  check(response, { 'GET /sse 200': (r) => r.status === 200 });
  // Whatever was still awaited when the stream ended never arrived.
  if (sentAt.size > 0) lost.add(sentAt.size);
}
