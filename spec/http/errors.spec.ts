import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp } from '../../src/app/app.js';
import { insertGuard } from '../../src/guards/chain.js';
import { testDeps } from '../../test-support/in-memory.js';
import { httpConfig } from '../../test-support/http-server.js';

let current: HttpApp | undefined;
afterEach(async () => {
  await current?.handle.close();
  current = undefined;
});

function app(options: Parameters<typeof createHttpApp>[2] = {}, overrides = {}) {
  current = createHttpApp(testDeps(), httpConfig(overrides), { auditSink: () => {}, ...options });
  return current.app;
}

const MCP_ACCEPT = 'application/json, text/event-stream';
const noStack = (text: string) => {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/node_modules|\.ts:\d+/);
};

describe('HTTP errors', () => {
  it('answers an unknown route with 404 and a JSON-RPC error body', async () => {
    const res = await request(app()).get('/nope').expect(404);
    expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Not found' }, id: null });
    await request(app()).post('/nope').send({ a: 1 }).expect(404);
  });

  it.each([
    ['put', '/mcp', 'GET, POST, DELETE'],
    ['patch', '/mcp', 'GET, POST, DELETE'],
    ['post', '/sse', 'GET'],
    ['get', '/messages', 'POST'],
  ] as const)('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const res = await request(app())[method](path).expect(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body.error.message).toBe('Method not allowed');
  });

  it('refuses a body over the limit with 413 on both transports', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    for (const path of ['/mcp', '/messages?sessionId=x']) {
      const res = await request(app()).post(path).set('content-type', 'application/json').set('accept', MCP_ACCEPT).send(big).expect(413);
      expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Request body too large' }, id: null });
    }
  });

  it('honours a smaller --body-limit', async () => {
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(2048) } };
    await request(app({}, { bodyLimit: '1kb' }))
      .post('/mcp')
      .set('accept', MCP_ACCEPT)
      .send(body)
      .expect(413);
  });

  it('answers malformed JSON with HTTP 400 and JSON-RPC -32700, on both transports', async () => {
    for (const path of ['/mcp', '/messages?sessionId=x']) {
      const res = await request(app())
        .post(path)
        .set('content-type', 'application/json')
        .set('accept', MCP_ACCEPT)
        .send('{"jsonrpc": "2.0", "id": 1,')
        .expect(400);
      expect(res.body.error.code).toBe(-32700);
      expect(res.body.id).toBeNull();
      noStack(res.text);
    }
  });

  it('refuses a POST that is not JSON with 415', async () => {
    for (const path of ['/mcp', '/messages?sessionId=x']) {
      const res = await request(app()).post(path).set('content-type', 'text/plain').send('hello').expect(415);
      expect(res.body.error.code).toBe(-32000);
    }
  });

  it('answers an unexpected failure with a fixed 500 body and no stack trace', async () => {
    const failing = app({
      guards: (declared) => [
        ...declared,
        {
          name: 'explodes',
          handle: () => {
            throw new Error('secret detail at /etc/cnpg-mcp/token');
          },
        },
      ],
    });
    const res = await request(failing).post('/mcp').set('accept', MCP_ACCEPT).send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).expect(500);
    expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
    expect(res.text).not.toContain('secret');
    noStack(res.text);
  });

  it('requires a session id for 2025-era requests other than initialize', async () => {
    const res = await request(app()).post('/mcp').set('accept', MCP_ACCEPT).send({ jsonrpc: '2.0', id: 7, method: 'tools/list' }).expect(400);
    expect(res.body).toMatchObject({ error: { code: -32600 }, id: 7 });
    await request(app()).get('/mcp').set('accept', 'text/event-stream').expect(400);
  });

  it('answers an unknown session with 404 on both transports', async () => {
    const a = app();
    await request(a)
      .post('/mcp')
      .set('accept', MCP_ACCEPT)
      .set('mcp-session-id', 'no-such-session')
      .send({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
      .expect(404);
    const res = await request(a).post('/messages?sessionId=no-such-session').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).expect(404);
    expect(res.body.error).toEqual({ code: -32001, message: 'Session not found' });
    await request(a).post('/messages').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).expect(400);
  });
});

describe('guard chain', () => {
  it('runs added guards, in order, before the MCP routes and never before the health probes', async () => {
    const seen: string[] = [];
    const mark = (name: string) => ({
      name,
      handle: ((req, _res, next) => {
        seen.push(`${name} ${req.path}`);
        next();
      }) as import('express').RequestHandler,
    });
    const a = app({
      guards: (declared) => insertGuard(insertGuard(declared, mark('auth'), { before: 'body' }), mark('audit'), { after: 'body' }),
    });
    await request(a).get('/healthz').expect(200);
    await request(a).get('/nope').expect(404);
    expect(seen).toEqual(['auth /nope', 'audit /nope']);
  });

  it('lets a guard refuse a request before any body is read', async () => {
    const a = app({
      guards: (declared) =>
        insertGuard(declared, { name: 'auth', handle: (_req, res) => void res.status(401).json({ error: 'unauthorized' }) }, { before: 'body' }),
    });
    // Malformed JSON: a 401 (not a 400) shows the guard ran before the body was parsed.
    await request(a).post('/mcp').set('content-type', 'application/json').send('{bad').expect(401);
  });
});
