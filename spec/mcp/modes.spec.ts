import { afterEach, describe, expect, it } from 'vitest';
import { toolAllowed } from '../../src/mcp/modes.js';
import { NamespacePolicy } from '../../src/kit/namespaces.js';
import { truncate } from '../../src/mcp/results.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('modes filter by annotations', () => {
  it('read-only keeps exactly the tools annotated readOnlyHint', () => {
    const kept = ALL_TOOLS.filter((t) => toolAllowed(t, { readOnly: true, disableDestructive: false }));
    expect(kept.length).toBeGreaterThan(5);
    expect(kept.every((t) => t.annotations.readOnlyHint)).toBe(true);
    // Opt-in tools (query_postgres, --allow-sql) stay off whatever the mode: spec/tools/sql.spec.ts.
    expect(kept).toEqual(ALL_TOOLS.filter((t) => t.annotations.readOnlyHint && !t.requires));
  });

  it('disable-destructive drops every destructive tool and keeps additive ones', () => {
    const kept = ALL_TOOLS.filter((t) => toolAllowed(t, { readOnly: false, disableDestructive: true }));
    expect(kept.some((t) => t.annotations.destructiveHint)).toBe(false);
    expect(kept.some((t) => !t.annotations.readOnlyHint)).toBe(true);
    expect(kept.map((t) => t.name)).not.toContain('delete_postgres_cluster');
  });

  it('is enforced on the server: tools/list and tools/call in read-only mode', async () => {
    const conn = await connectInMemory(testDeps(['--read-only']));
    close = conn.close;
    const { tools } = await conn.client.listTools();
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    // Not registered at all: the SDK answers an unknown tool with a protocol error.
    await expect(conn.client.callTool({ name: 'delete_postgres_cluster', arguments: { name: 'pg', confirm_deletion: true } })).rejects.toThrow(/not found/);
  });

  it('every destructive tool says so, and no read-only tool claims to be destructive', () => {
    for (const t of ALL_TOOLS) {
      if (t.annotations.readOnlyHint) expect(t.annotations.destructiveHint, t.name).toBe(false);
      if (/^delete_|^restart_|^hibernate_|^fence_|^promote_/.test(t.name)) expect(t.annotations.destructiveHint, t.name).toBe(true);
    }
  });

  it('every mutating tool offers dry_run', () => {
    for (const t of ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint)) expect(Object.keys(t.input.shape), t.name).toContain('dry_run');
  });
});

describe('namespace policy', () => {
  it('uses the default namespace and refuses others when restricted', () => {
    const p = new NamespacePolicy('a', ['a', 'b']);
    expect(p.resolve(undefined)).toBe('a');
    expect(p.resolve('b')).toBe('b');
    expect(() => p.resolve('c')).toThrow(/not allowed/);
    expect(p.listScope()).toEqual(['a', 'b']);
  });
  it('allows any namespace without an allowlist', () => {
    const p = new NamespacePolicy('default', []);
    expect(p.resolve('x')).toBe('x');
    expect(p.listScope()).toBeUndefined();
  });
  it('is enforced on the server before any Kubernetes call', async () => {
    const conn = await connectInMemory(testDeps(['--namespaces', 'team-a']));
    close = conn.close;
    const res = await conn.client.callTool({ name: 'get_cluster_status', arguments: { name: 'pg', namespace: 'team-b' } });
    expect(res.isError).toBe(true);
    expect((res.content as { text: string }[])[0]!.text).toMatch(/namespace "team-b" is not allowed.*\n.*team-a/);
  });
});

describe('truncation', () => {
  it('keeps short text and bounds long text with a visible note', () => {
    expect(truncate('short', 1000)).toBe('short');
    const out = truncate('x'.repeat(5000), 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out).toMatch(/\[truncated: showing 1000 of 5000 characters/);
  });
});
