// The common paths of a mutating tool: a create, a narrow merge patch, or a read-modify-write
// (server-side dry run when asked), each returned as a changeOutput.
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
    target === 'status' ? await client.patchStatus(kind, namespace, name, patch, { dryRun }) : await client.patch(kind, namespace, name, patch, { dryRun });
  return { name, namespace, action, dry_run: dryRun, changes: patch, result: tidyObject(result) };
}

/**
 * The common path of a tool's read-modify-write (roles, fencing, a switchover): the CNPG
 * client's modify(), conditioned on the version read and retried on 409, as a changeOutput.
 */
export async function modifyObject<T extends CnpgObject>(
  ctx: ToolContext,
  kind: CnpgKind,
  name: string,
  mutate: (current: T) => Record<string, unknown> | Promise<Record<string, unknown>>,
  dryRun: boolean,
  action: string,
  target: 'object' | 'status' = 'object',
) {
  const { patch, result } = await ctx.cnpg().modify<T>(kind, ctx.namespace, name, mutate, { dryRun, target, signal: ctx.signal });
  return { name, namespace: ctx.namespace, action, dry_run: dryRun, changes: patch, result: tidyObject(result) };
}
