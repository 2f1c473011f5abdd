// query_postgres through the SDK's real client (issue #15): off unless --allow-sql, and refused
// SQL answered before any Kubernetes call. Its own snapshot keeps the opt-in schema deliberate.
// What it runs is spec/sql/guard.spec.ts (real PostgreSQL); on real pods, e2e/postgres.e2e.ts.
import { describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

const text = (r: { content?: unknown }) => ((r.content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('query_postgres registration', () => {
  it('is not registered without --allow-sql, and a call names the flag', async () => {
    const conn = await connectInMemory(testDeps());
    try {
      const { tools } = await conn.client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('query_postgres');
      const call = conn.client.callTool({ name: 'query_postgres', arguments: { name: 'pg', sql: 'SELECT 1' } });
      await expect(call).rejects.toThrow(/--allow-sql/);
    } finally {
      await conn.close();
    }
  });

  it('--allow-sql registers it as read-only; the schema is snapshotted', async () => {
    const conn = await connectInMemory(testDeps(['--allow-sql']));
    try {
      const tool = (await conn.client.listTools()).tools.find((t) => t.name === 'query_postgres');
      expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot('../mcp/__snapshots__/tools-list-allow-sql.json');
    } finally {
      await conn.close();
    }
  });

  it('--read-only keeps it (it only reads); --allow-sql is still needed', async () => {
    const conn = await connectInMemory(testDeps(['--allow-sql', '--read-only']));
    try {
      expect((await conn.client.listTools()).tools.map((t) => t.name)).toContain('query_postgres');
    } finally {
      await conn.close();
    }
  });
});

describe('query_postgres refusals', () => {
  // No kubeconfig in these deps: a refusal that reached Kubernetes would say "not configured".
  const refused: [string, RegExp][] = [
    ['COMMIT; DROP TABLE t', /2 statements/],
    ['SELECT pg_terminate_backend(1)', /pg_terminate_backend\(\) is refused/],
    ['\\! id', /does not parse/],
  ];
  for (const [sql, why] of refused) {
    it(`${JSON.stringify(sql)}: isError naming why, before any Kubernetes call`, async () => {
      const conn = await connectInMemory(testDeps(['--allow-sql']));
      try {
        const r = await conn.client.callTool({ name: 'query_postgres', arguments: { name: 'pg', sql } });
        expect(r.isError).toBe(true);
        expect(text(r)).toMatch(why);
        expect(text(r)).toMatch(/nothing was run/);
        expect(text(r)).not.toMatch(/configur/);
      } finally {
        await conn.close();
      }
    });
  }

  it('bad arguments are refused by the schema: a database name that could be a conninfo string', async () => {
    const conn = await connectInMemory(testDeps(['--allow-sql']));
    try {
      const r = await conn.client.callTool({ name: 'query_postgres', arguments: { name: 'pg', sql: 'SELECT 1', database: 'host=evil dbname=x' } });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/database/);
    } finally {
      await conn.close();
    }
  });
});
