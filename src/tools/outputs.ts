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

/** Strips server-managed noise from an object before returning it to a model. */
export function tidyObject(obj: unknown): Record<string, unknown> {
  if (!obj || typeof obj !== 'object') return {};
  const { metadata, ...rest } = obj as { metadata?: Record<string, unknown> };
  if (!metadata) return rest;
  const { managedFields: _m, ...meta } = metadata;
  return { ...rest, metadata: meta };
}
