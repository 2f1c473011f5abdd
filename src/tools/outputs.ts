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

export const clusterSummaryShape = z.object({
  name: z.string(),
  namespace: z.string(),
  phase: z.string(),
  phase_reason: z.string().optional(),
  instances: z.number(),
  ready_instances: z.number(),
  current_primary: z.string().optional(),
  target_primary: z.string().optional(),
  image: z.string().optional(),
  storage_size: z.string().optional(),
  storage_class: z.string().optional(),
  hibernated: z.boolean(),
  fenced_instances: z.array(z.string()),
  healthy: z.boolean(),
  conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional(),
  services: z.object({ read_write: z.string().optional(), read_only: z.string().optional(), read: z.string().optional() }).optional(),
  certificate_expirations: z.record(z.string(), z.string()).optional(),
  last_successful_backup: z.string().optional(),
  instances_status: z.record(z.string(), z.array(z.string())).optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  managed_roles: z.array(z.string()).optional(),
});

/** Strips server-managed noise from an object before returning it to a model. */
export function tidyObject(obj: unknown): Record<string, unknown> {
  if (!obj || typeof obj !== 'object') return {};
  const { metadata, ...rest } = obj as { metadata?: Record<string, unknown> };
  if (!metadata) return rest;
  const { managedFields: _m, ...meta } = metadata;
  return { ...rest, metadata: meta };
}
