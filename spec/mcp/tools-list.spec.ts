// The tool list is a public surface: these snapshots make every change to it deliberate, in each
// mode the server can start in (one file per mode, as kubernetes-mcp-server keeps one per toolset).
// After an intended change, run `npx vitest run -u spec/mcp/tools-list.spec.ts` and review the diff.
import { describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

const MODES: { name: string; flags: string[]; snapshot: string }[] = [
  { name: 'default', flags: [], snapshot: 'tools-list.json' },
  { name: '--read-only', flags: ['--read-only'], snapshot: 'tools-list.read-only.json' },
  { name: '--disable-destructive', flags: ['--disable-destructive'], snapshot: 'tools-list.disable-destructive.json' },
  { name: '--allow-sql', flags: ['--allow-sql'], snapshot: 'tools-list.allow-sql.json' },
  { name: '--read-only --allow-sql', flags: ['--read-only', '--allow-sql'], snapshot: 'tools-list.read-only.allow-sql.json' },
];

describe('tools/list snapshot', () => {
  it.each(MODES)('matches the committed snapshot in mode $name', async ({ flags, snapshot }) => {
    const conn = await connectInMemory(testDeps(flags));
    try {
      const { tools } = await conn.client.listTools();
      await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot(`./__snapshots__/${snapshot}`);
    } finally {
      await conn.close();
    }
  });

  it('lists a different set of tools in each mode', async () => {
    const names = new Set<string>();
    for (const { flags } of MODES) {
      const conn = await connectInMemory(testDeps(flags));
      try {
        names.add(
          (await conn.client.listTools()).tools
            .map((t) => t.name)
            .sort()
            .join(','),
        );
      } finally {
        await conn.close();
      }
    }
    expect(names.size).toBe(MODES.length);
  });
});
