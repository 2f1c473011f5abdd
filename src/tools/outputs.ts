// Output schemas shared by several tools (structuredContent shapes).
import { z } from 'zod';

export const objectRef = { name: z.string(), namespace: z.string() };

/** What every mutating tool returns: what it did (or would do), and the object as the API answered. */
export const changeOutput = z.object({
  ...objectRef,
  action: z.string(),
  dry_run: z.boolean(),
  changes: z.record(z.string(), z.unknown()).describe('The patch or manifest sent to the API server.'),
  result: z.record(z.string(), z.unknown()).optional().describe('The object as the API server returned it.'),
});

export { clusterSummaryShape } from '../cnpg/status.js';
