import { afterEach, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('MCP server over the SDK client', () => {
  it('lists every tool with title, annotations, input and output schema, without a cluster', async () => {
    const conn = await connectInMemory(testDeps());
    close = conn.close;
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.filter((t) => !t.requires).map((t) => t.name));
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description!.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(typeof tool.annotations?.readOnlyHint, tool.name).toBe('boolean');
      expect(typeof tool.annotations?.destructiveHint, tool.name).toBe('boolean');
      expect(typeof tool.annotations?.idempotentHint, tool.name).toBe('boolean');
    }
  });

  it('reports a missing kubeconfig as a tool error that says what to do, not a crash', async () => {
    const conn = await connectInMemory(testDeps());
    close = conn.close;
    const result = await conn.client.callTool({ name: 'list_postgres_clusters', arguments: {} });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/no Kubernetes configuration/);
    expect(text).toMatch(/kubeconfig/i);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('rejects invalid input with a clear error naming the field', async () => {
    const conn = await connectInMemory(testDeps());
    close = conn.close;
    const result = await conn.client.callTool({ name: 'scale_postgres_cluster', arguments: { name: 'Bad_Name', instances: -1 } });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/name/);
    expect(text).toMatch(/instances/);
  });
});
