// --read-only and --disable-destructive, decided by annotations only (never by tool name).
import type { ToolDef } from './tool.js';

export interface ModeOptions {
  readOnly: boolean;
  disableDestructive: boolean;
}

/** Why `mode` hides `tool` (the flag that does it), or undefined when the tool is allowed. */
export function hiddenBy(tool: Pick<ToolDef, 'annotations'>, mode: ModeOptions): string | undefined {
  if (mode.readOnly && !tool.annotations.readOnlyHint) return 'read-only mode (--read-only) hides every tool that changes something';
  if (mode.disableDestructive && tool.annotations.destructiveHint) return '--disable-destructive hides every destructive tool';
  return undefined;
}

export function toolAllowed(tool: Pick<ToolDef, 'annotations'>, mode: ModeOptions): boolean {
  return hiddenBy(tool, mode) === undefined;
}
