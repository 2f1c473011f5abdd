import { afterEach, describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('prompts and resources', () => {
  it('offers the diagnosis and switchover procedures, naming the tools to use', async () => {
    const conn = await connectInMemory(testDeps());
    close = conn.close;
    const { prompts } = await conn.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['diagnose_cluster', 'plan_switchover']);
    const diagnose = await conn.client.getPrompt({ name: 'diagnose_cluster', arguments: { name: 'pg', namespace: 'prod' } });
    const text = (diagnose.messages[0]!.content as { text: string }).text;
    expect(text).toContain('"pg" in namespace "prod"');
    for (const tool of ['get_cluster_status', 'get_cluster_events', 'get_cluster_logs', 'get_replication_status']) expect(text).toContain(tool);
    // Every tool a step names is one the server lists (a renamed tool would leave the step pointing nowhere).
    const { tools } = await conn.client.listTools();
    const named = [...text.matchAll(/\b([a-z]+(?:_[a-z]+)+)\b/g)].map((m) => m[1]!).filter((w) => /^(get|list)_/.test(w));
    for (const tool of named) expect(tools.map((t) => t.name)).toContain(tool);
    const plan = await conn.client.getPrompt({ name: 'plan_switchover', arguments: { name: 'pg' } });
    expect((plan.messages[0]!.content as { text: string }).text).toMatch(/promote_cluster_instance with dry_run=true/);
  });

  it('exposes the cnpg://<namespace>/<name> resource template', async () => {
    const conn = await connectInMemory(testDeps());
    close = conn.close;
    const { resourceTemplates } = await conn.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('cnpg://{namespace}/{name}');
  });
});
