// Issue #5, item 13: Prometheus /metrics behind auth (or on --metrics-port): HTTP requests by
// route and status, their latency, active sessions, auth failures by reason, rate-limited
// requests and origin rejections.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { TOKEN_A, UNKNOWN_TOKEN, bearer, openRawSession, startSecured } from './support/server.js';

afterEach(() => stopAllServers());

/** Reads one sample from the exposition text of /metrics. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

async function scrape(url: string, path = '/metrics', token: string | undefined = TOKEN_A): Promise<string> {
  const res = await request(url)
    .get(path)
    .set(token ? bearer(token) : {})
    .expect(200);
  return res.text;
}

describe('Prometheus metrics', () => {
  it('counts HTTP requests by route, method and status, with a latency histogram; unknown paths count as "other"', async () => {
    const { url } = await startSecured();
    const before = await scrape(url);
    await openRawSession(url, TOKEN_A);
    await request(url).get('/no/such/path/1').set(bearer(TOKEN_A)).expect(404);
    await request(url).get('/no/such/path/2').set(bearer(TOKEN_A)).expect(404);
    // A response is counted when the server has finished it, which may be just after the client read it.
    const after = await waitFor(async () => {
      const text = await scrape(url);
      return sample(text, 'cnpg_mcp_http_requests_total', { route: 'other', method: 'GET', status: '404' }) -
        sample(before, 'cnpg_mcp_http_requests_total', { route: 'other', method: 'GET', status: '404' }) ===
        2
        ? text
        : undefined;
    }, 'the requests to be counted');
    const delta = (name: string, labels: Record<string, string>) => sample(after!, name, labels) - sample(before, name, labels);
    expect(delta('cnpg_mcp_http_requests_total', { route: '/mcp', method: 'POST', status: '200' })).toBe(1);
    expect(delta('cnpg_mcp_http_requests_total', { route: '/mcp', method: 'POST', status: '202' })).toBe(1);
    expect(delta('cnpg_mcp_http_requests_total', { route: 'other', method: 'GET', status: '404' })).toBe(2);
    expect(delta('cnpg_mcp_http_request_duration_seconds_count', { route: '/mcp', method: 'POST' })).toBe(2);
    expect(after).not.toContain('/no/such/path');
  });

  it('shows the open sessions, set by the session registry', async () => {
    const { url } = await startSecured();
    const before = sample(await scrape(url), 'cnpg_mcp_active_sessions', { transport: 'streamable' });
    const session = await openRawSession(url, TOKEN_A);
    await openRawSession(url, TOKEN_A);
    expect(sample(await scrape(url), 'cnpg_mcp_active_sessions', { transport: 'streamable' })).toBe(before + 2);
    await fetch(`${url}/mcp`, { method: 'DELETE', headers: { ...bearer(TOKEN_A), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } });
    await waitFor(async () => sample(await scrape(url), 'cnpg_mcp_active_sessions', { transport: 'streamable' }) === before + 1, 'the gauge to drop');
  });

  it('counts auth failures by reason, rate-limited requests and origin rejections', async () => {
    const { url } = await startSecured({ config: { rateLimitPerMinute: 1000 } });
    const before = await scrape(url);
    await request(url).get('/metrics').expect(401);
    await request(url).get('/metrics').set(bearer(UNKNOWN_TOKEN)).expect(401);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('origin', 'https://evil.example.com').expect(403);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'evil.example.com').expect(403);
    const after = await scrape(url);
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('cnpg_mcp_auth_failures_total', { reason: 'missing' })).toBe(1);
    expect(delta('cnpg_mcp_auth_failures_total', { reason: 'unknown' })).toBe(1);
    expect(delta('cnpg_mcp_origin_rejections_total', { reason: 'origin' })).toBe(1);
    expect(delta('cnpg_mcp_origin_rejections_total', { reason: 'host' })).toBe(1);
    expect(after).toContain('# TYPE cnpg_mcp_rate_limited_total counter');
    expect(after).toContain('# TYPE cnpg_mcp_tool_calls_total counter');
    expect(after).toContain('# TYPE cnpg_mcp_tool_call_duration_seconds histogram');
  });

  it('serves /metrics without auth on --metrics-port, bound to the same host, and not on the main port', async () => {
    const { url, running } = await startSecured({ config: { metricsPort: 0 } });
    expect(running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(running.metricsUrl!);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('cnpg_mcp_http_requests_total');
    expect((await fetch(new URL('/mcp', running.metricsUrl))).status).toBe(404);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(404);
    await request(url).get('/metrics').expect(401);
  });
});
