// Which tool calls need the user's confirmation, and what counts as it (issue #15). Declared by
// the tool itself: its destructiveHint annotation, and an optional boolean `confirm_…` argument
// (delete_postgres_cluster's confirm_deletion). The call path (src/mcp/confirm.ts) asks the user
// through elicitation where the client can, so no tool asks on its own.
import type { ToolDef } from './tool.js';

export interface Confirmation {
  /** The tool's own `confirm_…` argument, when it has one: true there already counts as confirmed. */
  argument?: string;
}

const CONFIRM_ARGUMENT = /^confirm_/;

export function confirmationOf(tool: ToolDef): Confirmation | undefined {
  if (!tool.annotations.destructiveHint) return undefined;
  return { argument: Object.keys(tool.input.shape).find((k) => CONFIRM_ARGUMENT.test(k)) };
}
