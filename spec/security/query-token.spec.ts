// Issue #5, item 5: `?token=` for EventSource clients that cannot set headers: refused unless
// --allow-query-token, and redacted from every log line either way.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { TOKEN_A, bearer, depsLoggingTo, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

describe('query-string tokens', () => {
  it('are refused by default: the request is unauthenticated even with a valid token in the URL', async () => {
    const { url, audit } = await startSecured();
    const res = await request(url).get(`/metrics?token=${TOKEN_A}`).expect(401);
    expect(res.body.error.message).toBe('Unauthorized');
    expect(audit.of('auth_failure')[0]).toMatchObject({ reason: 'query_token_disabled', path: '/metrics?token=[redacted]' });
    // …and a valid header does not rescue a request that also carries one.
    await request(url).get(`/metrics?token=${TOKEN_A}`).set(bearer(TOKEN_A)).expect(401);
  });

  it('open a legacy SSE stream for a client that cannot set headers, with --allow-query-token', async () => {
    const { url, audit } = await startSecured({ auth: { allowQueryToken: true } });
    // EventSource: the token rides in the URL of the stream; the POSTs carry the header.
    const client = await SseClient.connect(url, 5000, {}, `/sse?token=${TOKEN_A}`);
    closers.push(() => client.close());
    expect(client.endpoint.search).not.toContain(TOKEN_A);
    const res = await fetch(client.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKEN_A) },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'es', version: '1' } },
      }),
    });
    expect(res.status).toBe(202);
    await request(url).get(`/metrics?token=${TOKEN_A}`).expect(200);
    await request(url).get('/metrics?token=not-a-valid-token-000000').expect(401);
    for (const line of audit.lines) expect(line).not.toContain(TOKEN_A);
  });

  it('are redacted from audit and log lines, and never reach the routes', async () => {
    const logLines: string[] = [];
    const { url, audit } = await startSecured({ deps: depsLoggingTo(logLines), auth: { allowQueryToken: true } });
    // A path that fails after auth (404 and a 500-free error log) and one refused by auth.
    await request(url).get(`/nope?token=${TOKEN_A}&x=1`).expect(404);
    await request(url).post(`/mcp?token=${TOKEN_A}`).set('content-type', 'application/json').send('{bad json').expect(400);
    await request(url).get(`/sse?token=${TOKEN_A}x`).expect(401);
    await waitFor(() => audit.of('mcp_request').length > 0, 'the /mcp request to be audited');
    const everything = [...audit.lines, ...logLines].join('\n');
    expect(everything).not.toContain(TOKEN_A);
    expect(audit.of('auth_failure')[0]).toMatchObject({ path: '/sse?token=[redacted]' });
    expect(audit.of('mcp_request')[0]).toMatchObject({ path: '/mcp?token=[redacted]', status: 400 });
  });

  it('refuses a token in both the header and the query, and two query tokens', async () => {
    const { url, audit } = await startSecured({ auth: { allowQueryToken: true } });
    await request(url).get(`/metrics?token=${TOKEN_A}`).set(bearer(TOKEN_A)).expect(401);
    await request(url).get(`/metrics?token=${TOKEN_A}&token=${TOKEN_A}`).expect(401);
    expect(audit.of('auth_failure').map((r) => r.reason)).toEqual(['ambiguous', 'ambiguous']);
  });
});
