// The protocol's live features without a cluster (issue #15): elicitation of destructive calls,
// completions, advertised capabilities and the refusals of resources/subscribe. The SDK's real
// client over the in-memory transport; the CNPG boundary is a fake of our own client (units).
// Subscriptions fed by a real watch: e2e/live-subscriptions.e2e.ts.
import type { ElicitResult } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';
import { depsWithCnpg, fakeCluster } from '../../test-support/http-server.js';

type Answer = ElicitResult | (() => never);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A fake CNPG client that records writes, and a client that answers elicitations with `answer`. */
async function session(answer?: Answer, clientHasElicitation = answer !== undefined) {
  const writes: string[] = [];
  const asked: { message: string; requestedSchema: unknown }[] = [];
  const cluster = fakeCluster('app', 'pg');
  const deps = depsWithCnpg({
    get: async () => cluster,
    list: async (_kind: string, ns: string | undefined) =>
      [fakeCluster('app', 'pg'), fakeCluster('app', 'pg-two'), fakeCluster('other', 'orders')].filter((c) => ns === undefined || c.metadata.namespace === ns),
    delete: async (_k: string, ns: string, name: string) => {
      writes.push(`delete ${ns}/${name}`);
    },
    modify: async (_k: string, ns: string, name: string) => {
      writes.push(`modify ${ns}/${name}`);
      return { patch: {}, result: cluster };
    },
  });
  const { client, close } = await connectInMemory(deps, clientHasElicitation ? { capabilities: { elicitation: { form: {} } } } : undefined, (c) => {
    if (!clientHasElicitation) return;
    c.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { message: string; requestedSchema: unknown };
      asked.push({ message: params.message, requestedSchema: params.requestedSchema });
      return typeof answer === 'function' ? answer() : answer!;
    });
  });
  closers.push(close);
  return { client, writes, asked };
}

const text = (r: { content?: unknown }) => ((r.content ?? []) as { text?: string }[]).map((c) => c.text).join('\n');

describe('elicitation for destructive calls', () => {
  it('asks a client that declared elicitation, showing what will happen, and proceeds on accept', async () => {
    const { client, writes, asked } = await session({ action: 'accept', content: { confirm: true } });
    const result = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'app' } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(writes).toEqual(['delete app/pg']);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain('Delete a cluster app/pg');
    expect(asked[0]!.message).toContain('the data is gone');
    expect(asked[0]!.requestedSchema).toMatchObject({ properties: { confirm: { type: 'boolean' } }, required: ['confirm'] });
  });

  it.each([
    ['decline', { action: 'decline' } as ElicitResult, 'declined'],
    ['cancel', { action: 'cancel' } as ElicitResult, 'cancelled'],
    ['accept without confirm=true', { action: 'accept', content: { confirm: false } } as ElicitResult, 'did not confirm'],
  ])('%s changes nothing and the result says so', async (_what, answer, said) => {
    const { client, writes } = await session(answer);
    const result = await client.callTool({ name: 'restart_postgres_cluster', arguments: { name: 'pg', namespace: 'app' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(`the user ${said} the confirmation`);
    expect(text(result)).toContain('Nothing was changed.');
    expect(writes).toEqual([]);
  });

  it('a failed elicitation (the client errors) changes nothing', async () => {
    const { client, writes } = await session(() => {
      throw new Error('no person at the keyboard');
    });
    const result = await client.callTool({
      name: 'fence_cluster_instances',
      arguments: { name: 'pg', namespace: 'app', action: 'fence', instances: ['pg-1'] },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('the confirmation request failed');
    expect(writes).toEqual([]);
  });

  it('an explicit confirm_deletion=true counts as the confirmation: not asked again', async () => {
    const { client, writes, asked } = await session({ action: 'decline' });
    const result = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'app', confirm_deletion: true } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(asked).toHaveLength(0);
    expect(writes).toEqual(['delete app/pg']);
  });

  it('a dry run is never asked about', async () => {
    const { client, asked } = await session({ action: 'decline' });
    const result = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'app', dry_run: true } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(text(result)).toContain('Would delete');
    expect(asked).toHaveLength(0);
  });

  it('a read-only or additive tool is never asked about', async () => {
    const { client, asked } = await session({ action: 'decline' });
    const result = await client.callTool({ name: 'get_cluster_status', arguments: { name: 'pg', namespace: 'app' } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(asked).toHaveLength(0);
  });

  it('a client without elicitation keeps the confirm_ argument exactly as before', async () => {
    const { client, writes } = await session(undefined, false);
    const refused = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'app' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('needs confirm_deletion=true');
    expect(writes).toEqual([]);
    const done = await client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', namespace: 'app', confirm_deletion: true } });
    expect(done.isError, text(done)).toBeFalsy();
    expect(writes).toEqual(['delete app/pg']);
  });
});

describe('completion/complete', () => {
  it('is advertised, with resource subscriptions only where the watch cache feeds them', async () => {
    const { client } = await session();
    expect(client.getServerCapabilities()?.completions).toEqual({});
    // depsWithCnpg has no kubeconfig, so no watch cache: no subscribe capability.
    expect(client.getServerCapabilities()?.resources?.subscribe).toBeUndefined();
  });

  it('completes cluster names of the namespace already chosen, by prefix', async () => {
    const { client } = await session();
    const byTemplate = await client.complete({
      ref: { type: 'ref/resource', uri: 'cnpg://{namespace}/{name}' },
      argument: { name: 'name', value: 'pg-' },
      context: { arguments: { namespace: 'app' } },
    });
    expect(byTemplate.completion).toEqual({ values: ['pg-two'], total: 1, hasMore: false });
    const byPrompt = await client.complete({
      ref: { type: 'ref/prompt', name: 'diagnose_cluster' },
      argument: { name: 'name', value: '' },
      context: { arguments: { namespace: 'other' } },
    });
    expect(byPrompt.completion.values).toEqual(['orders']);
  });

  it('completes namespaces from the clusters there are', async () => {
    const { client } = await session();
    const result = await client.complete({ ref: { type: 'ref/resource', uri: 'cnpg://{namespace}/{name}' }, argument: { name: 'namespace', value: 'o' } });
    expect(result.completion.values).toEqual(['other']);
  });

  it('never offers a namespace outside --namespaces, nor its clusters', async () => {
    const deps = { ...testDeps(['--namespaces', 'app']), cnpg: depsWithCnpg({ list: async () => [fakeCluster('app', 'pg')] }).cnpg };
    const { client, close } = await connectInMemory(deps);
    closers.push(close);
    const namespaces = await client.complete({ ref: { type: 'ref/resource', uri: 'cnpg://{namespace}/{name}' }, argument: { name: 'namespace', value: '' } });
    expect(namespaces.completion.values).toEqual(['app']);
    const names = await client.complete({
      ref: { type: 'ref/prompt', name: 'plan_switchover' },
      argument: { name: 'name', value: '' },
      context: { arguments: { namespace: 'other' } },
    });
    expect(names.completion.values).toEqual([]);
  });

  it('refuses an unknown reference or argument with a sentence naming it', async () => {
    const { client } = await session();
    await expect(client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'name', value: '' } })).rejects.toThrow(
      /no completions for prompt nope/,
    );
    await expect(client.complete({ ref: { type: 'ref/resource', uri: 'cnpg://{namespace}/{name}' }, argument: { name: 'colour', value: '' } })).rejects.toThrow(
      /argument "colour": only namespace and name/,
    );
  });
});

describe('resources/subscribe refusals', () => {
  it('without the watch cache says why, and that nothing was subscribed', async () => {
    const { client } = await session();
    await expect(client.subscribeResource({ uri: 'cnpg://app/pg' })).rejects.toThrow(/not available on this server: they are fed by the shared watch cache/);
  });
});
