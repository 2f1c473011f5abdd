// A replica must not forward while its own channel is not subscribed: the owner's answer would be
// published to nobody and the client would wait out the head timeout. After a Redis reconnect
// ioredis resubscribes without saying when it is done, so for a moment that is every replica's
// state (CI saw the Redis-restart spec hang on it). Here it is held open on purpose with a real
// redis-server's ACL: replica B's Redis user may publish to A's channel but not subscribe to its
// own, so B's subscriber reconnects and cannot resubscribe until the spec allows it again.
import { afterEach, describe, expect, it } from 'vitest';
import { replicaChannel, sessionKey } from '../../../src/relay/directory.js';
import { stopAllServers } from '../../../test-support/http-server.js';
import { redisAvailable, useTestRedis } from '../../../test-support/redis.js';
import { depsWithCnpg, fakeCluster } from '../../../test-support/http-server.js';
import { waitFor } from '../../../test-support/wait.js';
import { TOKEN_A, bearer, openRawSession, postMcp, startSecured } from '../../security/support/server.js';

const clusterCnpg = () => depsWithCnpg({ get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name) });
const toolsList = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const sessionHeaders = (session: string) => ({ ...bearer(TOKEN_A), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });

describe.skipIf(!redisAvailable)('relay while a replica cannot hear answers (its channel not resubscribed) [needs redis-server]', () => {
  const { redis, admin } = useTestRedis();
  afterEach(async () => {
    await stopAllServers();
    await admin().call('ACL', 'DELUSER', 'replica-b');
  });

  it('answers 503 with Retry-After at once, not a 504 after the head timeout, and relays again once subscribed', { timeout: 30_000 }, async () => {
    await admin().call('ACL', 'SETUSER', 'replica-b', 'on', '>b-secret', '~*', '&*', '+@all');
    const start = (url: string) =>
      startSecured({ deps: clusterCnpg(), config: { redisUrl: url, maxSessionsPerPrincipal: 0 }, options: { relayTimings: { headTimeoutMs: 3000 } } });
    const a = await start(redis().url);
    const b = await start(redis().url.replace('redis://', 'redis://replica-b:b-secret@'));
    const session = await openRawSession(a.url, TOKEN_A);
    const owner = JSON.parse((await admin().get(sessionKey(session)))!).replica as string;
    let id = 1;
    const askB = () => postMcp(b.url, toolsList(id++), sessionHeaders(session));
    expect((await askB()).status).toBe(200);

    // B may still publish to A's channel, but not subscribe to its own: cut its subscriber.
    await admin().call('ACL', 'SETUSER', 'replica-b', 'resetchannels', `&${replicaChannel(owner)}`);
    await admin().call('CLIENT', 'KILL', 'USER', 'replica-b', 'TYPE', 'pubsub');
    await waitFor(
      async () =>
        String(await admin().call('CLIENT', 'LIST', 'TYPE', 'normal'))
          .split('\n')
          .filter((l) => l.includes('user=replica-b')).length >= 2,
      {
        what: "replica B's subscriber to reconnect (as a plain connection: its subscribe is refused)",
        timeoutMs: 10_000,
      },
    );
    const refused = await askB();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).error.message).toMatch(/reconnecting to Redis/);

    // Allowed again: the next reconnect resubscribes, and B relays as before.
    await admin().call('ACL', 'SETUSER', 'replica-b', 'allchannels');
    await admin().call('CLIENT', 'KILL', 'USER', 'replica-b', 'TYPE', 'normal');
    await waitFor(async () => (await askB()).status === 200, { what: 'B to relay the session again', timeoutMs: 10_000 });
  });
});
