// The common path of a mutating tool that patches one object: a narrow merge patch
// (server-side dry run when asked), returned as a changeOutput.
import { KubeError } from '../cnpg/errors.js';
import type { CnpgKind } from '../cnpg/kinds.js';
import type { CnpgObject } from '../cnpg/types.js';
import type { ToolContext } from '../kit/tool.js';
import { tidyObject } from '../cnpg/tidy.js';

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

/** How long a read-modify-write keeps retrying 409s, and its backoff (exponential, full jitter). */
export const CONFLICT_RETRY = { deadlineMs: 20_000, firstDelayMs: 10, maxDelayMs: 500 };

/**
 * Runs a read-modify-write again when the API answers 409. Writes that replace a list (roles,
 * fenced instances) carry the resourceVersion they read, and the operator bumps it with every
 * status update, so a conflict usually means "read again", as client-go's RetryOnConflict does.
 * `attempt` must read fresh (bypassing the cache) each time.
 *
 * Retries until a deadline rather than a count, with exponential backoff and full jitter: with
 * many writers on one object a fixed few quick retries collide again in lockstep (issue #12,
 * item 4: 11 of 20 concurrent role creates failed after 5). Cancelling the request stops it.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, signal?: AbortSignal, policy = CONFLICT_RETRY): Promise<T> {
  const deadline = Date.now() + policy.deadlineMs;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof KubeError && err.kind === 'conflict')) throw err;
      const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** i);
      const delay = Math.random() * ceiling;
      if (signal?.aborted || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
