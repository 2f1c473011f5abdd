// Issue #5, item 8: requests are limited per principal; failed authentications per client
// address are slowed, then blocked for a minute; 429 carries Retry-After; with --redis-url the
// counts are shared by every replica (proven with a real redis-server), in memory otherwise.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { redisAvailable, useTestRedis } from '../../test-support/redis.js';
import { TOKEN_A, TOKEN_B, UNKNOWN_TOKEN, bearer, startSecured } from './support/server.js';

afterEach(() => stopAllServers());

const get = (url: string, token?: string) =>
  request(url)
    .get('/metrics')
    .set(token ? bearer(token) : {});

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describe('rate limits in memory (one process)', () => {
  it('allows --rate-limit-per-minute requests per principal, then answers 429 with Retry-After; other principals are not affected', async () => {
    const { url, audit } = await startSecured({ config: { rateLimitPerMinute: 3 } });
    const before = await counter('cnpg_mcp_rate_limited_total', { scope: 'principal' });
    for (let i = 0; i < 3; i++) await get(url, TOKEN_A).expect(200);
    const limited = await get(url, TOKEN_A).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many requests, try again later' }, id: null });
    await get(url, TOKEN_B).expect(200);
    expect(audit.of('rate_limited')).toEqual([expect.objectContaining({ scope: 'principal', sourceIp: '127.0.0.1' })]);
    expect(await counter('cnpg_mcp_rate_limited_total', { scope: 'principal' })).toBe(before + 1);
  });

  it('slows down repeated authentication failures from one address, then blocks its failures but still serves a valid token (#12 item 15)', async () => {
    const { url, audit } = await startSecured({ config: { authFailuresPerMinute: 4 } });
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await get(url, UNKNOWN_TOKEN).expect(401);
      timings.push(Date.now() - started);
    }
    // Under half the budget: answered at once; beyond it: held back, more each time.
    expect(timings[0]).toBeLessThan(200);
    expect(timings[3]).toBeGreaterThanOrEqual(450);
    const blocked = await get(url, UNKNOWN_TOKEN).expect(429);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(audit.of('rate_limited')).toEqual([expect.objectContaining({ scope: 'address' })]);
    // One attacker behind a shared address must not lock out everyone behind it.
    await get(url, TOKEN_A).expect(200);
    await get(url, TOKEN_B).expect(200);
    await get(url).expect(429);
  });

  it('counts per process without Redis: a second replica has its own budget', async () => {
    const one = await startSecured({ config: { rateLimitPerMinute: 2 } });
    const two = await startSecured({ config: { rateLimitPerMinute: 2 } });
    await get(one.url, TOKEN_A).expect(200);
    await get(one.url, TOKEN_A).expect(200);
    await get(one.url, TOKEN_A).expect(429);
    await get(two.url, TOKEN_A).expect(200);
  });
});

describe.skipIf(!redisAvailable)('rate limits shared through Redis (--redis-url) [needs redis-server]', () => {
  const { redis, admin } = useTestRedis();

  it('shares the per-principal budget between two replicas', async () => {
    const one = await startSecured({ config: { rateLimitPerMinute: 3, redisUrl: redis().url } });
    const two = await startSecured({ config: { rateLimitPerMinute: 3, redisUrl: redis().url } });
    await get(one.url, TOKEN_A).expect(200);
    await get(two.url, TOKEN_A).expect(200);
    await get(one.url, TOKEN_A).expect(200);
    const limited = await get(two.url, TOKEN_A).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await admin().keys('cnpg-mcp:rl-principal*')).toHaveLength(1);
  });

  it('blocks an address on every replica after failures on one', async () => {
    const one = await startSecured({ config: { authFailuresPerMinute: 2, redisUrl: redis().url } });
    const two = await startSecured({ config: { authFailuresPerMinute: 2, redisUrl: redis().url } });
    for (let i = 0; i < 3; i++) await get(one.url, UNKNOWN_TOKEN).expect(401);
    await get(two.url, UNKNOWN_TOKEN).expect(429);
    await get(two.url, TOKEN_A).expect(200);
  });

  it('falls back to per-process limits when Redis is unreachable, instead of failing requests', async () => {
    const { url } = await startSecured({ config: { rateLimitPerMinute: 2, redisUrl: 'redis://127.0.0.1:1' } });
    await get(url, TOKEN_A).expect(200);
    await get(url, TOKEN_A).expect(200);
    await get(url, TOKEN_A).expect(429);
  });
});
