// Issue #5, item 15 (the HTTP side; e2e/impersonation.e2e.ts proves it against a real API
// server): with --impersonate, every session and every session-less request is served with
// deps.forPrincipal(user, groups) of its principal; without it, with the server's own deps.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubernetesIdentity } from '../../src/sessions/impersonation.js';
import type { ServerDeps } from '../../src/mcp/server.js';
import { SseClient } from '../../test-support/sse-client.js';
import { depsWithCnpg, fakeCluster, stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, TOKEN_B, bearer, connectWithToken, startSecured } from './support/server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
  await stopAllServers();
});

/** Deps whose forPrincipal records each identity and answers list() with a cluster named after the user. */
function impersonatingDeps() {
  const identities: KubernetesIdentity[] = [];
  const deps: ServerDeps = {
    ...depsWithCnpg({ list: async () => [fakeCluster('default', 'as-the-server')] }),
    forPrincipal: (identity) => {
      identities.push(identity);
      return depsWithCnpg({ list: async (_kind: string, namespace: string) => [fakeCluster(namespace, `as-${identity.user}`)] });
    },
  };
  return { deps, identities };
}

async function tokensFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-imp-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'tokens'), content);
  return join(dir, 'tokens');
}

const clusterNames = (result: { structuredContent?: unknown }) =>
  ((result.structuredContent as { clusters: { name: string }[] }).clusters ?? []).map((c) => c.name);

describe('impersonation (--impersonate)', () => {
  it('serves each session with the deps of its principal: user and groups from the tokens file', async () => {
    const { deps, identities } = impersonatingDeps();
    const file = await tokensFile(`# test only\n${TOKEN_A}:alice:dba,oncall\n${TOKEN_B}:mallory\n`);
    const { url } = await startSecured({ deps, tokens: [], auth: { tokensFile: file, impersonate: true } });

    const alice = await connectWithToken(url, TOKEN_A);
    cleanups.push(() => alice.client.close());
    expect(clusterNames(await alice.client.callTool({ name: 'list_postgres_clusters', arguments: {} }))).toEqual(['as-alice']);

    const mallory = await SseClient.connect(url, 5000, bearer(TOKEN_B));
    cleanups.push(() => mallory.close());
    await mallory.initialize();
    const answer = await mallory.request('tools/call', { name: 'list_postgres_clusters', arguments: {} });
    expect(clusterNames(answer.result as { structuredContent?: unknown })).toEqual(['as-mallory']);

    expect(identities).toEqual([
      { user: 'alice', groups: ['dba', 'oncall'] },
      { user: 'mallory', groups: [] },
    ]);
  });

  it('serves a session-less (2026-07-28) request with the deps of its principal', async () => {
    const { deps, identities } = impersonatingDeps();
    const file = await tokensFile(`${TOKEN_A}:alice:dba\n`);
    const { url } = await startSecured({ deps, tokens: [], auth: { tokensFile: file, impersonate: true } });
    const modern = await connectWithToken(url, TOKEN_A, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    cleanups.push(() => modern.client.close());
    expect(clusterNames(await modern.client.callTool({ name: 'list_postgres_clusters', arguments: {} }))).toEqual(['as-alice']);
    expect(identities).toContainEqual({ user: 'alice', groups: ['dba'] });
  });

  it('acts with the server identity when --impersonate is off', async () => {
    const { deps, identities } = impersonatingDeps();
    const { url } = await startSecured({ deps });
    const alice = await connectWithToken(url, TOKEN_A);
    cleanups.push(() => alice.client.close());
    expect(clusterNames(await alice.client.callTool({ name: 'list_postgres_clusters', arguments: {} }))).toEqual(['as-the-server']);
    expect(identities).toEqual([]);
  });

  it('refuses to start with --impersonate when the deps cannot impersonate', async () => {
    await expect(startSecured({ deps: depsWithCnpg({}), auth: { impersonate: true } })).rejects.toThrow(/impersonate/);
  });
});
