// The common path of a mutating tool that patches one object: a narrow merge patch
// (server-side dry run when asked), returned as a changeOutput.
import { KubeError } from '../cnpg/errors.js';
import type { CnpgKind } from '../cnpg/kinds.js';
import type { CnpgObject } from '../cnpg/types.js';
import type { ToolContext } from '../mcp/tool.js';
import { tidyObject } from './outputs.js';

/** The common path of a tool that creates one object (server-side dry run when asked). */
export async function createObject(
  ctx: ToolContext,
  kind: CnpgKind,
  namespace: string,
  manifest: Omit<CnpgObject, 'apiVersion' | 'kind'>,
  dryRun: boolean,
  action: string,
) {
  const created = await ctx.cnpg().create(kind, namespace, manifest, { dryRun });
  return { name: manifest.metadata.name, namespace, action, dry_run: dryRun, changes: manifest as Record<string, unknown>, result: tidyObject(created) };
}

export async function change(
  ctx: ToolContext,
  kind: CnpgKind,
  namespace: string,
  name: string,
  patch: Record<string, unknown>,
  dryRun: boolean,
  action: string,
  target: 'object' | 'status' = 'object',
) {
  const client = ctx.cnpg();
  const result =
    target === 'status'
      ? await client.patchStatus(kind, namespace, name, patch, { dryRun })
      : await client.patch(kind, namespace, name, patch, { dryRun });
  return { name, namespace, action, dry_run: dryRun, changes: patch, result: tidyObject(result) };
}

/**
 * Runs a read-modify-write again when the API answers 409. Writes that replace a list (roles,
 * fenced instances) carry the resourceVersion they read, and the operator bumps it with every
 * status update, so a conflict usually means "read again", as client-go's RetryOnConflict does.
 * `attempt` must read fresh (bypassing the cache) each time.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof KubeError && err.kind === 'conflict') || i >= tries) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * i));
    }
  }
}
