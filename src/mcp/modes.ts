// --read-only and --disable-destructive, decided by annotations only (never by tool name).
import type { ToolDef } from './tool.js';

export interface ModeOptions {
  readOnly: boolean;
  /**
   * With readOnly: credentials may still be returned. A read-only server is for people who may
   * look, not write, so by default it hands out no passwords (issue #12, item 18).
   */
  readOnlyCredentials?: boolean;
  disableDestructive: boolean;
  /** --allow-sql: tools that opt in with `requires: 'allow-sql'` (query_postgres) are registered. */
  allowSql?: boolean;
}

/** Why this mode refuses to return credentials, or undefined when it allows them. */
export function credentialsRefusal(mode: ModeOptions): string | undefined {
  if (mode.readOnly && !mode.readOnlyCredentials) return 'this server runs read-only (--read-only), which returns no credentials; --read-only-credentials allows it';
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
