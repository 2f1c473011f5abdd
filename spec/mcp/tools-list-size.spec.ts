// Every client sends the whole tools/list to its model, so its size is a cost on every turn of
// every conversation (issue #15: the descriptions stay short enough that the list stays near
// 66 KB). A size budget, not a timing: the compact JSON of the default mode's result must not
// pass 68 KB (decimal, as the issue counts it). Above it, say the same in fewer words, or define a
// shared parameter's description once in src/tools/schemas.ts.
import { describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

const BUDGET_BYTES = 68_000;

describe('tools/list size', () => {
  it(`stays within ${BUDGET_BYTES} bytes of compact JSON in the default mode`, async () => {
    const conn = await connectInMemory(testDeps([]));
    try {
      const result = await conn.client.listTools();
      const bytes = Buffer.byteLength(JSON.stringify({ tools: result.tools }));
      // The tools are there: an empty or cut list would pass any budget.
      expect(result.tools.length).toBeGreaterThanOrEqual(30);
      expect(bytes, `tools/list is ${bytes} bytes`).toBeLessThanOrEqual(BUDGET_BYTES);
    } finally {
      await conn.close();
    }
  });
});
