// The common path of a mutating tool that patches one object: a narrow merge patch
// (server-side dry run when asked), returned as a changeOutput.
import type { CnpgKind } from '../cnpg/kinds.js';
import type { ToolContext } from '../mcp/tool.js';
import { tidyObject } from './outputs.js';

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
