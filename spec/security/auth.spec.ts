// Issue #5, item 1: every endpoint but the health probes needs a bearer token; failures are one
// 401 with one body and a Bearer challenge, whatever was wrong.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../test-support/in-memory.js';
import { SseClient } from '../../test-support/sse-client.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, UNKNOWN_TOKEN, bearer, connectWithToken, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await stopAllServers();
});

const UNAUTHORIZED = { jsonrpc: '2.0', error: { code: -32000, message: 'Unauthorized' }, id: null };

// Every guarded endpoint, with a request that would succeed (or get past auth) with a token.
const endpoints = [
  ['GET', '/sse'],
  ['POST', '/messages?sessionId=00000000-0000-4000-8000-000000000000'],
  ['POST', '/mcp'],
  ['GET', '/mcp'],
  ['DELETE', '/mcp'],
  ['GET', '/metrics'],
] as const;

describe('authentication', () => {
  it.each(endpoints)('%s %s without a token is 401 with a Bearer challenge', async (method, path) => {
    const { url } = await startSecured();
    const res = await request(url)
      [method.toLowerCase() as 'get' | 'post' | 'delete'](path)
      .set('content-type', 'application/json')
      .send(method === 'POST' ? '{}' : undefined);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="cnpg-mcp"');
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  it('answers missing, empty, malformed and unknown tokens with the same status, body and challenge', async () => {
    const { url, audit } = await startSecured();
    const variants: Record<string, string | undefined> = {
      missing: undefined,
      empty: 'Bearer ',
      malformed: 'Bearer not a token!',
      'other scheme': `Basic ${Buffer.from(`user:${TOKEN_A}`).toString('base64')}`,
      unknown: `Bearer ${UNKNOWN_TOKEN}`,
      'valid token with one character changed': `Bearer ${TOKEN_A.slice(0, -1)}X`,
      'valid token as a prefix': `Bearer ${TOKEN_A}x`,
    };
    const answers = new Set<string>();
    for (const [, header] of Object.entries(variants)) {
      const req = request(url).post('/mcp').set('content-type', 'application/json').set('accept', 'application/json, text/event-stream');
      if (header !== undefined) req.set('authorization', header);
      const res = await req.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      answers.add(JSON.stringify([res.status, res.text, res.headers['www-authenticate'], res.headers['content-type']]));
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toContain('401');
    // The reason is told to the audit log only.
    expect(audit.of('auth_failure').map((r) => r.reason)).toEqual(['missing', 'empty', 'malformed', 'malformed', 'unknown', 'unknown', 'unknown']);
  });

  it('serves MCP over Streamable HTTP to a client with a valid token, and hands the principal to the SDK', async () => {
    const { url } = await startSecured();
    const { client } = await connectWithToken(url, TOKEN_A);
    closers.push(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
  });

  it('serves legacy SSE to a client with a valid token, stream and POSTs alike', async () => {
    const { url } = await startSecured();
    const client = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => client.close());
    const init = await client.initialize();
    expect(init.result).toMatchObject({ serverInfo: { name: 'cnpg-mcp' } });
    // The same session without the token on the POST: refused before it reaches the session.
    const res = await fetch(client.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
  });

  it('refuses a legacy SSE stream without a token', async () => {
    const { url } = await startSecured();
    await expect(SseClient.connect(url, 2000)).rejects.toThrow(/401/);
  });

  it('serves /metrics from the registry to a client with a token', async () => {
    const { url } = await startSecured();
    const res = await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('cnpg_mcp_http_requests_total');
    expect(res.text).toContain('cnpg_mcp_active_sessions');
  });

  it('leaves the health probes unauthenticated', async () => {
    const { url } = await startSecured({ deps: testDeps() });
    await request(url).get('/healthz').expect(200);
    await request(url).get('/health').expect(200);
    // Not ready (no kubeconfig), but answered without credentials.
    await request(url).get('/readyz').expect(503);
  });

  it('adds resource_metadata to the challenge when RFC 9728 metadata is enabled', async () => {
    const { url } = await startSecured({ auth: { resourceUrl: 'https://mcp.example.com/mcp' } });
    const res = await request(url).post('/mcp').send({}).expect(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="cnpg-mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
  });
});
