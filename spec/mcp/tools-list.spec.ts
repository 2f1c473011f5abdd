// The tool list is a public surface: this snapshot makes every change to it deliberate.
// After an intended change, run `npx vitest run -u spec/mcp/tools-list.spec.ts` and review the diff.
import { describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

describe('tools/list snapshot', () => {
  it('matches the committed snapshot', async () => {
    const conn = await connectInMemory(testDeps());
    try {
      const { tools } = await conn.client.listTools();
      await expect(JSON.stringify(tools, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/tools-list.json');
    } finally {
      await conn.close();
    }
  });
});
