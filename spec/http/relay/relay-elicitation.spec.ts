// Elicitation for destructive calls (issue #15) when the call's POST lands on another replica than
// the one holding the session (issue #6's relay over a real redis-server): the owner's
// elicitation/create travels back on the relayed POST's stream to the client, the client's answer
// (its own POST) is relayed to the owner too, and only then does the call go on or stop. Two
// replicas in this process; the SDK's own client, whose fetch sends initialize to A and every
// later request to B.
import { Client, StreamableHTTPClientTransport, type ElicitResult } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../../test-support/http-server.js';
import { redisAvailable, useTestRedis } from '../../../test-support/redis.js';
import { TOKEN_A, bearer, startSecured, type SecuredServer } from '../../security/support/server.js';

/** The first request (initialize) to `owner`, all the others to `other`. */
function initializeOn(owner: string, other: string): typeof fetch {
  let sent = 0;
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    url.host = new URL(sent++ === 0 ? owner : other).host;
    return fetch(url, init);
  };
}

describe.skipIf(!redisAvailable)('elicitation through the session relay [needs redis-server]', () => {
  const { redis } = useTestRedis();
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await stopAllServers();
  });

  async function setup(answer: ElicitResult) {
    const writes: string[] = [];
    const deps = () =>
      depsWithCnpg({
        get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name),
        delete: async (_kind: string, namespace: string, name: string) => void writes.push(`delete ${namespace}/${name}`),
      });
    const [a, b] = (await Promise.all([0, 1].map(() => startSecured({ deps: deps(), config: { redisUrl: redis().url, maxSessionsPerPrincipal: 0 } })))) as [
      SecuredServer,
      SecuredServer,
    ];
    const asked: string[] = [];
    const client = new Client({ name: 'spec-relay-elicitation', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push((request.params as { message: string }).message);
      return answer;
    });
    closers.push(() => client.close());
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', a.url), { requestInit: { headers: bearer(TOKEN_A) }, fetch: initializeOn(a.url, b.url) }),
    );
    // The session is A's; B holds none and relays.
    expect([a.running.handle.sessionCount(), b.running.handle.sessionCount()]).toEqual([1, 0]);
    return { client, writes, asked };
  }

  it('accept: the question reaches the client through B, its answer returns to A, and the cluster is deleted', async () => {
    const { client, writes, asked } = await setup({ action: 'accept', content: { confirm: true } });
    const result = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'team-a' } });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Delete a cluster team-a/pg');
    expect(writes).toEqual(['delete team-a/pg']);
  });

  it('decline: the answer returns through the relay and nothing is changed', async () => {
    const { client, writes, asked } = await setup({ action: 'decline' });
    const result = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'team-a' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('the user declined the confirmation');
    expect(JSON.stringify(result.content)).toContain('Nothing was changed.');
    expect(asked).toHaveLength(1);
    expect(writes).toEqual([]);
  });
});
