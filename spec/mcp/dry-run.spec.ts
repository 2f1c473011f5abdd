// Issue #13, "what a person sees": a dry run's text shows what would be sent to the API server
// (the manifest of a create, the merge patch of a change), not only "Would create …". Driven
// through the SDK's client; the CNPG client answers as the API server does to a dry run (the
// object back, nothing stored).
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory } from '../../test-support/in-memory.js';
import { depsWithCnpg, fakeCluster } from '../../test-support/http-server.js';

const sent: { dryRun: boolean; body: unknown }[] = [];
let conn: Awaited<ReturnType<typeof connectInMemory>>;
let client: Client;

beforeAll(async () => {
  const deps = depsWithCnpg({
    get: async (_kind: string, namespace: string, name: string) => fakeCluster(namespace, name),
    create: async (_kind: string, namespace: string, manifest: Record<string, unknown>, options: { dryRun: boolean }) => {
      sent.push({ dryRun: options.dryRun, body: manifest });
      return { ...manifest, metadata: { ...(manifest.metadata as object), namespace } };
    },
    patch: async (_kind: string, namespace: string, name: string, patch: unknown, options: { dryRun: boolean }) => {
      sent.push({ dryRun: options.dryRun, body: patch });
      return fakeCluster(namespace, name);
    },
  });
  conn = await connectInMemory(deps);
  client = conn.client;
});
afterAll(async () => conn?.close());

async function text(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, JSON.stringify(result.content)).not.toBe(true);
  return (result.content as { text: string }[]).map((c) => c.text).join('\n');
}

const SECTION = 'What would be sent to the API server (server-side dry run; nothing was stored):';

describe('dry run text', () => {
  it('a create shows the manifest it would send', async () => {
    const shown = await text('create_postgres_cluster', { name: 'pg', namespace: 'team-a', instances: 3, dry_run: true });
    expect(shown).toMatch(/^Would create/);
    const manifest = JSON.parse(shown.slice(shown.indexOf(SECTION) + SECTION.length)) as { metadata: { name: string }; spec: { instances: number } };
    expect(manifest.metadata.name).toBe('pg');
    expect(manifest.spec.instances).toBe(3);
    expect(manifest).toEqual(sent.at(-1)!.body);
    expect(sent.at(-1)!.dryRun).toBe(true);
  });

  it('a change shows the merge patch it would send', async () => {
    const shown = await text('scale_postgres_cluster', { name: 'pg', namespace: 'team-a', instances: 5, dry_run: true });
    expect(shown).toMatch(/^Would scale/);
    expect(JSON.parse(shown.slice(shown.indexOf(SECTION) + SECTION.length))).toEqual(sent.at(-1)!.body);
    expect(sent.at(-1)!.body).toMatchObject({ spec: { instances: 5 } });
  });

  it('a real change keeps its one-line text', async () => {
    const shown = await text('scale_postgres_cluster', { name: 'pg', namespace: 'team-a', instances: 5 });
    expect(shown).toMatch(/^Scaled team-a\/pg to 5 instance\(s\)\.$/);
    expect(sent.at(-1)!.dryRun).toBe(false);
  });
});
