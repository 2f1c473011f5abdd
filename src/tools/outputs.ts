// Output schemas shared by several tools (structuredContent shapes).
import { z } from 'zod';

export const objectRef = { name: z.string(), namespace: z.string() };

/** What every mutating tool returns: what it did (or would do), and the object as the API answered. */
export const changeOutput = z.object({
  ...objectRef,
  action: z.string(),
  dry_run: z.boolean(),
  changes: z.record(z.string(), z.unknown()).describe('Patch or manifest sent.'),
  result: z.record(z.string(), z.unknown()).optional().describe("The API server's answer."),
});

export { clusterSummaryShape } from '../cnpg/status.js';
