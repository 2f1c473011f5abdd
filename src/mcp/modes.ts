// --read-only and --disable-destructive, decided by annotations only (never by tool name).
import type { ToolDef } from './tool.js';

export interface ModeOptions {
  readOnly: boolean;
  disableDestructive: boolean;
}

export function toolAllowed(tool: Pick<ToolDef, 'annotations'>, mode: ModeOptions): boolean {
  if (mode.readOnly && !tool.annotations.readOnlyHint) return false;
  if (mode.disableDestructive && tool.annotations.destructiveHint) return false;
  return true;
}
