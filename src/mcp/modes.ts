// --read-only and --disable-destructive, decided by annotations only (never by tool name).
import type { ModeOptions } from '../kit/deps.js';
import type { ToolDef } from '../kit/tool.js';

export type { ModeOptions };

/** Why this mode refuses to return credentials, or undefined when it allows them. */
export function credentialsRefusal(mode: ModeOptions): string | undefined {
  if (mode.readOnly && !mode.readOnlyCredentials)
    return 'this server runs read-only (--read-only), which returns no credentials; --read-only-credentials allows it';
  return undefined;
}

/** Why `mode` hides `tool` (the flag that does it), or undefined when the tool is allowed. */
export function hiddenBy(tool: Pick<ToolDef, 'annotations' | 'requires'>, mode: ModeOptions): string | undefined {
  // Opt-in first: such a tool is off unless asked for, whatever the other flags (issue #15).
  if (tool.requires === 'allow-sql' && !mode.allowSql) return 'SQL tools are off unless the server is started with --allow-sql';
  if (mode.readOnly && !tool.annotations.readOnlyHint) return 'read-only mode (--read-only) hides every tool that changes something';
  if (mode.disableDestructive && tool.annotations.destructiveHint) return '--disable-destructive hides every destructive tool';
  return undefined;
}

export function toolAllowed(tool: Pick<ToolDef, 'annotations' | 'requires'>, mode: ModeOptions): boolean {
  return hiddenBy(tool, mode) === undefined;
}
