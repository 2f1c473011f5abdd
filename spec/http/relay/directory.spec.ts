// Issue #6: the session directory in Redis — records and heartbeats with TTLs, refreshed while they
// live, gone when they end; an unreachable Redis never holds a session back.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { SessionDirectory, replicaChannel, replicaKey, sessionKey, type DirectoryTimings } from '../../../src/relay/directory.js';
import type { Session } from '../../../src/sessions/registry.js';
import { waitFor } from '../../../test-support/wait.js';
import { redisAvailable, useTestRedis } from '../../../test-support/redis.js';

const timings: DirectoryTimings = { sessionTtlMs: 60_000, heartbeatTtlMs: 60_000, announceTimeoutMs: 500 };
const session = (id: string): Session => ({ id, kind: 'sse', owner: 'token-user:alice' }) as Session;
const logger = createLogger('silent');

describe.skipIf(!redisAvailable)('session directory [needs redis-server]', () => {
  const { redis, admin } = useTestRedis();
  const connections: Redis[] = [];
  const directory = (replica: string, overrides: Partial<DirectoryTimings> = {}) => {
    const connection = new Redis(redis().url);
    connections.push(connection);
    return new SessionDirectory(connection, replica, { ...timings, ...overrides }, logger);
  };
  afterEach(() => {
    for (const c of connections.splice(0)) c.disconnect();
  });

  it('announces a session as {replica, principal, kind} with a TTL, finds it from another replica, and withdraws it', async () => {
    const a = directory('aaaa');
    const b = directory('bbbb');
    await a.announce(session('s-1'));
    expect(JSON.parse((await admin().get(sessionKey('s-1')))!)).toEqual({ replica: 'aaaa', principal: 'token-user:alice', kind: 'sse' });
    const ttl = await admin().pttl(sessionKey('s-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(timings.sessionTtlMs);
    expect(await b.lookup('s-1')).toEqual({ replica: 'aaaa', principal: 'token-user:alice', kind: 'sse' });
    a.withdraw(session('s-1'));
    await waitFor(async () => (await b.lookup('s-1')) === undefined, 'the record to be withdrawn');
  });

  it('lets a record expire without refreshes, and rewrites records a restarted Redis lost', async () => {
    const a = directory('aaaa', { sessionTtlMs: 150 });
    await a.announce(session('s-2'));
    await waitFor(async () => (await admin().exists(sessionKey('s-2'))) === 0, 'the record to expire');
    await a.refresh([session('s-2'), session('s-3')]);
    expect(await admin().exists(sessionKey('s-2'), sessionKey('s-3'))).toBe(2);
  });

  it('tells a live replica by its heartbeat and its subscription: either gone, the replica is gone', async () => {
    const a = directory('aaaa', { heartbeatTtlMs: 150 });
    const b = directory('bbbb');
    const listening = async () => {
      const subscriber = new Redis(redis().url);
      connections.push(subscriber);
      await subscriber.subscribe(replicaChannel('aaaa'));
      return subscriber;
    };
    expect(await b.isAlive('aaaa')).toBe(false);
    await a.heartbeat();
    expect(await b.isAlive('aaaa')).toBe(false); // no subscriber: it cannot receive anything
    const subscriber = await listening();
    expect(await b.isAlive('aaaa')).toBe(true);
    // A crash closes the connection: noticed at once, long before the heartbeat expires.
    subscriber.disconnect();
    await waitFor(async () => !(await b.isAlive('aaaa')), 'the subscription to go');
    await listening();
    await a.heartbeat();
    expect(await b.isAlive('aaaa')).toBe(true);
    // Cut off from Redis without its connection closing: the heartbeat expires.
    await waitFor(async () => !(await b.isAlive('aaaa')), 'the heartbeat to expire');
    await a.heartbeat();
    await a.retire();
    expect(await admin().exists(replicaKey('aaaa'))).toBe(0);
  });

  it('treats a malformed record as no record', async () => {
    await admin().set(sessionKey('s-4'), 'not json');
    await admin().set(sessionKey('s-5'), JSON.stringify({ replica: 'x', principal: 'y', kind: 'websocket' }));
    const b = directory('bbbb');
    expect(await b.lookup('s-4')).toBeUndefined();
    expect(await b.lookup('s-5')).toBeUndefined();
  });
});

describe('session directory without a reachable Redis', () => {
  it('never holds a session back: announce settles within its timeout, lookups reject', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const connection = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    connection.on('error', () => undefined);
    try {
      const directory = new SessionDirectory(connection, 'aaaa', timings, logger);
      const started = Date.now();
      await expect(directory.announce(session('s-1'))).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(timings.announceTimeoutMs + 200);
      await expect(directory.lookup('s-1')).rejects.toThrow();
    } finally {
      connection.disconnect();
    }
  });
});
