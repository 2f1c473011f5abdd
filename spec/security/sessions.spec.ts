// Issue #5, items 6 and 14: a session is usable only by the principal that opened it (another
// valid principal gets the same 404 as for an unknown session), session ids are random, and
// one principal may hold at most --max-sessions-per-principal sessions.
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, TOKEN_B, bearer, initializeBody, openRawSession, postMcp, startSecured } from './support/server.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of closers.splice(0)) await fn();
  await stopAllServers();
});

const SESSION_NOT_FOUND = { code: -32001, message: 'Session not found' };
// RFC 9562 version 4: 122 of the 128 bits are random (version nibble 4, variant bits 10).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('session binding', () => {
  it('answers another principal using a Streamable HTTP session exactly as an unknown session', async () => {
    const { url } = await startSecured();
    const session = await openRawSession(url, TOKEN_A);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const stolen = await postMcp(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...bearer(TOKEN_B), ...headers });
    const unknown = await postMcp(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { ...bearer(TOKEN_B), ...headers, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' },
    );
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual(await unknown.json());
    // GET (the stream) and DELETE are bound too: bob cannot listen in, nor end alice's session.
    const get = await fetch(`${url}/mcp`, { headers: { ...bearer(TOKEN_B), ...headers, accept: 'text/event-stream' } });
    expect(get.status).toBe(404);
    const del = await fetch(`${url}/mcp`, { method: 'DELETE', headers: { ...bearer(TOKEN_B), ...headers } });
    expect(del.status).toBe(404);
    // The owner still can.
    const own = await postMcp(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { ...bearer(TOKEN_A), ...headers });
    expect(own.status).toBe(200);
  });

  it('answers another principal posting to a legacy SSE session exactly as an unknown session', async () => {
    const { url } = await startSecured();
    const alice = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    closers.push(() => alice.close());
    const post = (sessionUrl: URL | string) =>
      fetch(sessionUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(TOKEN_B) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
    const stolen = await post(alice.endpoint);
    const unknown = await post(`${url}/messages?sessionId=00000000-0000-4000-8000-000000000000`);
    expect(stolen.status).toBe(404);
    expect((await stolen.json()).error).toEqual(SESSION_NOT_FOUND);
    expect((await unknown.json()).error).toEqual(SESSION_NOT_FOUND);
    expect(alice.received).toEqual([]);
    expect((await alice.initialize()).result).toBeDefined();
  });

  it('names sessions with random version 4 UUIDs (122 random bits), never twice the same', async () => {
    const { url } = await startSecured({ config: { maxSessionsPerPrincipal: 0 } });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(await openRawSession(url, TOKEN_A));
    for (let i = 0; i < 5; i++) {
      const client = await SseClient.connect(url, 5000, bearer(TOKEN_A));
      closers.push(() => client.close());
      ids.add(client.sessionId);
    }
    expect(ids.size).toBe(25);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});

describe('sessions per principal', () => {
  it('refuses a principal its next session beyond --max-sessions-per-principal with 429, while others still get theirs', async () => {
    const { url, running } = await startSecured({ config: { maxSessionsPerPrincipal: 2 } });
    await openRawSession(url, TOKEN_A);
    const second = await openRawSession(url, TOKEN_A);
    const third = await postMcp(url, initializeBody(3), bearer(TOKEN_A));
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect((await third.json()).error.message).toMatch(/Too many open sessions for this principal/);
    await expect(SseClient.connect(url, 2000, bearer(TOKEN_A))).rejects.toThrow(/429/);
    await openRawSession(url, TOKEN_B);
    expect(running.handle.sessionCount()).toBe(3);
    // Closing one frees the slot.
    const del = await fetch(`${url}/mcp`, {
      method: 'DELETE',
      headers: { ...bearer(TOKEN_A), 'mcp-session-id': second, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(200);
    await openRawSession(url, TOKEN_A);
  });
});
