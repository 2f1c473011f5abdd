// Issue #12, item 1: unknown arguments are refused with a did-you-mean before any Kubernetes
// call, the published schemas say so, and no tool coerces string forms of booleans or numbers.
// Driven through the SDK's client; the kubeconfig does not exist, so any call that got past
// validation would fail with "no kubeconfig" instead of "Invalid arguments".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

let conn: Awaited<ReturnType<typeof connectInMemory>>;
let client: Client;
beforeAll(async () => {
  conn = await connectInMemory(testDeps());
  client = conn.client;
});
afterAll(async () => conn?.close());

async function call(name: string, args: unknown) {
  const result = await client.callTool({ name, arguments: args as Record<string, unknown> });
  const text = (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
  return { isError: result.isError === true, text };
}

type JsonSchema = { properties?: Record<string, { type?: string }>; additionalProperties?: unknown; required?: string[] };

describe('unknown arguments', () => {
  it('a typo is refused with the closest known name, before any Kubernetes call', async () => {
    const r = await call('create_postgres_cluster', { name: 'pg', dryRun: true, storageSize: '10Gi' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Invalid arguments for create_postgres_cluster/);
    expect(r.text).toContain('dryRun: unknown argument, did you mean dry_run?');
    expect(r.text).toContain('storageSize: unknown argument, did you mean storage_size?');
    expect(r.text).toContain('Nothing was changed');
    expect(r.text).not.toMatch(/kubeconfig/i);
  });

  it('a name like no known one lists the known arguments', async () => {
    const r = await call('get_cluster_status', { name: 'pg', colour: 'blue' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('colour: unknown argument (known: name, namespace, detail_level, include_instances, format)');
  });

  it('every tool refuses an unknown argument, and its published schema says additionalProperties: false', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(20);
    for (const tool of tools) {
      expect((tool.inputSchema as JsonSchema).additionalProperties, tool.name).toBe(false);
      const r = await call(tool.name, { zz_not_an_argument: 1 });
      expect(r.isError, tool.name).toBe(true);
      expect(r.text, tool.name).toContain('zz_not_an_argument: unknown argument');
    }
  });
});

describe('no coercion, for every tool alike', () => {
  it('the string form of every boolean and number argument is refused and says to drop the quotes', async () => {
    const { tools } = await client.listTools();
    let checked = 0;
    for (const tool of tools) {
      for (const [prop, schema] of Object.entries((tool.inputSchema as JsonSchema).properties ?? {})) {
        const stringForm = schema.type === 'boolean' ? 'true' : schema.type === 'integer' || schema.type === 'number' ? '3' : undefined;
        if (!stringForm) continue;
        const r = await call(tool.name, { [prop]: stringForm });
        expect(r.isError, `${tool.name}.${prop}`).toBe(true);
        expect(r.text, `${tool.name}.${prop}`).toContain(`${prop}: expected`);
        expect(r.text, `${tool.name}.${prop}`).toContain('(send the value without quotes)');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('confirm_deletion "true" deletes nothing', async () => {
    const r = await call('delete_postgres_cluster', { name: 'pg', confirm_deletion: 'true' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('confirm_deletion: expected boolean, got string "true" (send the value without quotes)');
  });

  it('postgres_version is a number: 17 passes validation (and reaches the Kubernetes step)', async () => {
    const { tools } = await client.listTools();
    const create = tools.find((t) => t.name === 'create_postgres_cluster')!;
    expect((create.inputSchema as JsonSchema).properties?.postgres_version?.type).toBe('integer');
    const r = await call('create_postgres_cluster', { name: 'pg', postgres_version: 17, dry_run: true });
    expect(r.isError).toBe(true);
    expect(r.text).not.toMatch(/Invalid arguments/);
    expect(r.text).toMatch(/kubeconfig/i);
  });
});

describe('values that would become more than one setting', () => {
  it.each([
    ['update_postgres_parameters', { name: 'pg', parameters: { work_mem: '4MB\nshared_preload_libraries = evil' } }, 'parameters.work_mem'],
    ['create_postgres_cluster', { name: 'pg', parameters: { work_mem: '4MB\r' } }, 'parameters.work_mem'],
    ['create_postgres_pooler', { cluster_name: 'pg', parameters: { max_client_conn: '10\nauth_type = trust' } }, 'parameters.max_client_conn'],
    ['create_postgres_role', { cluster_name: 'pg', role_name: 'app', comment: 'a\nb' }, 'comment'],
  ])('%s refuses a newline in %j', async (tool, args, field) => {
    const r = await call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`${field}: must be one line: no newlines or other control characters`);
  });
});

describe('arguments that are not an object', () => {
  it.each([[[1, 2]], ['text'], [42]])('%j gets a sentence, not zod issue JSON', async (args) => {
    const answer = await call('get_cluster_status', args).then(
      (r) => r.text,
      (err: Error) => err.message,
    );
    expect(answer).toMatch(/must be a JSON object|expected object/i);
    expect(answer).not.toContain('"code"');
    expect(answer).not.toContain('invalid_type');
  });
});

describe('tool names', () => {
  it('a typo in a tool name gets the closest one', async () => {
    await expect(call('get_cluster_stauts', { name: 'pg' })).rejects.toThrow(/did you mean get_cluster_status\?/);
  });

  it('a tool hidden by the mode says which flag hides it', async () => {
    const readOnly = await connectInMemory(testDeps(['--read-only']));
    try {
      await expect(readOnly.client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg' } })).rejects.toThrow(
        /not found: this server's read-only mode \(--read-only\)/,
      );
    } finally {
      await readOnly.close();
    }
  });
});
