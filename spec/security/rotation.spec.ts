// Issue #5, item 3: the tokens file is re-read when Kubernetes swaps the mounted Secret (the
// `..data` symlink dance, reproduced exactly by support/secret-dir.ts): added tokens work and
// removed ones stop within seconds, without a restart and without dropping other sessions.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { createSecretDir, type SecretDir } from './support/secret-dir.js';
import { TOKEN_A, TOKEN_B, bearer, connectWithToken, openRawSession, postMcp, startSecured } from './support/server.js';

const TOKEN_C = 'test-only-token-carol-aaaabbbbccccdddd';
const TOKEN_A2 = 'test-only-token-alice-rotated-99998888';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
  await stopAllServers();
});

async function secret(tokens: string): Promise<SecretDir> {
  const dir = await createSecretDir({ tokens });
  cleanups.push(() => dir.remove());
  return dir;
}

const works = async (url: string, token: string) => (await request(url).get('/metrics').set(bearer(token))).status === 200;
const refused = async (url: string, token: string) => (await request(url).get('/metrics').set(bearer(token))).status === 401;
const listTools = (url: string, token: string, sessionId: string) =>
  postMcp(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...bearer(token), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });

describe('token rotation through a mounted Secret', () => {
  it('picks up added and removed tokens within seconds, keeping the other sessions open', async () => {
    const dir = await secret(`# test only\n${TOKEN_A}:alice\n${TOKEN_B}:bob\n`);
    // The poll is pushed out of reach: only the directory watch can notice the swap here.
    const { url, running } = await startSecured({ tokens: [], auth: { tokensFile: dir.path('tokens') }, options: { fileWatch: { pollMs: 60_000 } } });
    const alice = await connectWithToken(url, TOKEN_A);
    cleanups.push(() => alice.client.close());
    const bobSession = await openRawSession(url, TOKEN_B);
    expect(running.handle.sessionCount()).toBe(2);
    expect(await works(url, TOKEN_C)).toBe(false);

    await dir.update({ tokens: `# test only\n${TOKEN_A}:alice\n${TOKEN_C}:carol\n` });

    await waitFor(() => works(url, TOKEN_C), { what: 'the added token to work', timeoutMs: 5000 });
    await waitFor(() => refused(url, TOKEN_B), { what: 'the removed token to stop working', timeoutMs: 5000 });
    // Alice's session never noticed.
    expect((await alice.client.listTools()).tools.length).toBeGreaterThan(0);
    // Bob's session is still registered, but its next request is refused.
    const res = await listTools(url, TOKEN_B, bobSession);
    expect(res.status).toBe(401);
  });

  it('accepts old and new token side by side during a rotation, and a session may switch between them', async () => {
    const dir = await secret(`${TOKEN_A}:alice\n`);
    const { url } = await startSecured({ tokens: [], auth: { tokensFile: dir.path('tokens') } });
    const session = await openRawSession(url, TOKEN_A);

    // Step 1: both tokens of alice are valid.
    await dir.update({ tokens: `${TOKEN_A}:alice\n${TOKEN_A2}:alice\n` });
    await waitFor(() => works(url, TOKEN_A2), { what: 'the new token to work', timeoutMs: 5000 });
    expect(await works(url, TOKEN_A)).toBe(true);
    // Same principal name, same session.
    expect((await listTools(url, TOKEN_A2, session)).status).toBe(200);

    // Step 2: the old token is retired.
    await dir.update({ tokens: `${TOKEN_A2}:alice\n` });
    await waitFor(() => refused(url, TOKEN_A), { what: 'the old token to stop working', timeoutMs: 5000 });
    expect((await listTools(url, TOKEN_A2, session)).status).toBe(200);
  });

  it('notices a swap by polling the content hash when the filesystem sends no events', async () => {
    const dir = await secret(`${TOKEN_A}\n`);
    const { url } = await startSecured({ tokens: [], auth: { tokensFile: dir.path('tokens') }, options: { fileWatch: { fsEvents: false, pollMs: 100 } } });
    expect(await works(url, TOKEN_C)).toBe(false);
    await dir.update({ tokens: `${TOKEN_A}\n${TOKEN_C}\n` });
    await waitFor(() => works(url, TOKEN_C), { what: 'the poll to pick up the added token', timeoutMs: 5000 });
  });

  it('keeps the last good tokens while the file cannot be read', async () => {
    const dir = await secret(`${TOKEN_A}\n`);
    const { url, running } = await startSecured({
      tokens: [],
      auth: { tokensFile: dir.path('tokens') },
      options: { fileWatch: { fsEvents: false, pollMs: 50 } },
    });
    await dir.remove();
    await running.handle.security.authenticator.tokenSource!.check();
    expect(await works(url, TOKEN_A)).toBe(true);
  });
});
