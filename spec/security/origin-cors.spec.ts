// Issue #5, items 9 and 10: CORS is off unless --cors-origins lists an origin; a disallowed
// Origin gets 403 (the MCP spec's MUST against DNS rebinding), requests without one pass; Host
// names are checked on a loopback bind (or against --allowed-hosts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp, type HttpConfig } from '../../src/app/app.js';
import { testDeps } from '../../test-support/in-memory.js';
import { httpConfig, stopAllServers } from '../../test-support/http-server.js';
import { AuditCapture, TOKEN_A, bearer, startSecured } from './support/server.js';

const APP_ORIGIN = 'https://app.example.com';
const servers: { server: Server; app: HttpApp }[] = [];
afterEach(async () => {
  for (const { server, app } of servers.splice(0)) {
    await app.handle.close();
    await new Promise((resolve) => server.close(resolve));
  }
  await stopAllServers();
});

/** The app as configured for `host`, served on 127.0.0.1:0 (nothing binds a public address). */
async function appConfiguredFor(host: string, overrides: Partial<HttpConfig> = {}) {
  const audit = new AuditCapture();
  const base = httpConfig();
  const app = createHttpApp(testDeps(), { ...base, host, ...overrides, auth: { ...base.auth, tokens: [TOKEN_A] } }, { auditSink: audit.sink });
  const server = createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ server, app });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, audit };
}

const preflight = (url: string, origin: string) =>
  request(url)
    .options('/mcp')
    .set('origin', origin)
    .set('access-control-request-method', 'POST')
    .set('access-control-request-headers', 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id');

describe('Origin validation', () => {
  it('refuses a request whose Origin is not allowed with 403, even with a valid token', async () => {
    const { url, audit } = await startSecured();
    const res = await request(url).get('/metrics').set(bearer(TOKEN_A)).set('origin', 'https://evil.example.com').expect(403);
    expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: Origin not allowed' }, id: null });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(audit.of('origin_rejected')).toEqual([expect.objectContaining({ reason: 'origin', origin: 'https://evil.example.com' })]);
    // The opaque origin of sandboxed pages and file: URLs.
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('origin', 'null').expect(403);
  });

  it('passes requests without Origin (non-browser clients) and same-origin requests', async () => {
    const { url } = await startSecured();
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('origin', url).expect(200);
    // Same host, other port: another origin.
    const port = Number(new URL(url).port);
    await request(url)
      .get('/metrics')
      .set(bearer(TOKEN_A))
      .set('origin', `http://127.0.0.1:${port + 1}`)
      .expect(403);
  });

  it('checks Origin before authentication: a rebinding page learns nothing, not even 401', async () => {
    const { url, audit } = await startSecured();
    await request(url).post('/mcp').set('origin', 'https://evil.example.com').send({}).expect(403);
    expect(audit.of('auth_failure')).toEqual([]);
  });
});

describe('Host validation', () => {
  it('accepts only loopback names on a loopback bind', async () => {
    const { url } = await startSecured();
    const port = new URL(url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost'])
      await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', host).expect(200);
    const res = await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', `rebound.evil.example.com:${port}`).expect(403);
    expect(res.body.error.message).toBe('Forbidden: Host not allowed');
  });

  it('accepts any Host on a non-loopback bind, but still checks Origin', async () => {
    const { url } = await appConfiguredFor('0.0.0.0');
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'mcp.internal.example.com').expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'mcp.internal.example.com').set('origin', 'https://evil.example.com').expect(403);
    await request(url)
      .get('/metrics')
      .set(bearer(TOKEN_A))
      .set('host', 'mcp.internal.example.com')
      .set('origin', 'https://mcp.internal.example.com')
      .expect(200);
  });

  it('accepts only --allowed-hosts when given', async () => {
    const { url } = await appConfiguredFor('0.0.0.0', { allowedHosts: ['mcp.example.com'] });
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'mcp.example.com').expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'mcp.example.com:8443').expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_A)).set('host', 'other.example.com').expect(403);
  });

  it('leaves the health probes out of Host checks (kubelet probes by pod IP)', async () => {
    const { url } = await startSecured();
    await request(url).get('/healthz').set('host', '10.1.2.3:3000').expect(200);
  });
});

describe('CORS', () => {
  it('is off by default: no CORS headers, and a cross-origin preflight is refused', async () => {
    const { url } = await startSecured();
    const res = await preflight(url, APP_ORIGIN);
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the preflight of a listed origin before authentication, naming the MCP headers', async () => {
    const { url } = await startSecured({ config: { corsOrigins: [APP_ORIGIN] } });
    const res = await preflight(url, APP_ORIGIN).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    const allowed = res.headers['access-control-allow-headers']!.toLowerCase().split(',');
    for (const header of ['mcp-session-id', 'mcp-protocol-version', 'authorization', 'last-event-id', 'content-type']) expect(allowed).toContain(header);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('exposes Mcp-Session-Id to the listed origin on real requests, which still need a token', async () => {
    const { url } = await startSecured({ config: { corsOrigins: [APP_ORIGIN] } });
    const res = await request(url)
      .post('/mcp')
      .set(bearer(TOKEN_A))
      .set('origin', APP_ORIGIN)
      .set('accept', 'application/json, text/event-stream')
      .send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'web', version: '1' } },
      })
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(res.headers['access-control-expose-headers']!.toLowerCase()).toContain('mcp-session-id');
    expect(res.headers['mcp-session-id']).toBeDefined();
    await request(url).post('/mcp').set('origin', APP_ORIGIN).send({}).expect(401);
  });

  it('does not answer the preflight of an origin that is not listed, nor one without Origin', async () => {
    const { url } = await startSecured({ config: { corsOrigins: [APP_ORIGIN] } });
    const other = await preflight(url, 'https://other.example.com');
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // Not a preflight without Origin: it goes through the guards like any request.
    await request(url).options('/mcp').expect(401);
  });
});
