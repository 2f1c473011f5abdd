// A tool is one declarative value: schema, annotations and a short handler side by side
// (docs/architecture.md). The server factory registers these; modes filter them by annotations.
import type { z } from 'zod';
import type { CnpgClient } from '../cnpg/client.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint?: boolean;
}

/** What a handler gets besides its validated input. */
export interface ToolContext {
  /** Throws a not_configured KubeError when no kubeconfig could be loaded. */
  cnpg(): CnpgClient;
  /**
   * The namespace this call acts in: the `namespace` argument, else the server's default,
   * already checked against --namespaces by the call path (src/mcp/call-tool.ts) before the
   * handler runs. The handler's input.namespace holds the same value.
   */
  namespace: string;
  /** For "all namespaces" listings: undefined means every namespace; otherwise the allowlist. */
  allowedNamespaces: readonly string[] | undefined;
  /** Why credentials must not be returned in this mode (src/mcp/modes.ts), or undefined. */
  credentialsRefusal: string | undefined;
  /** Sends notifications/progress when the client asked for it (no-op otherwise). */
  progress(progress: number, total: number | undefined, message: string): Promise<void>;
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
}

/** A handler's result: text for people, structured data matching the output schema. */
export interface ToolOutcome<O> {
  text: string;
  data: O;
}

export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** A flag the server must be started with for this tool to exist (src/mcp/modes.ts). */
  requires?: 'allow-sql';
  handler(input: z.infer<I>, ctx: ToolContext): Promise<ToolOutcome<z.infer<O>>>;
}

/**
 * Keeps input/output types tied together for the handler, and makes the input strict: an
 * unknown argument is refused (and the published schema says additionalProperties: false), so
 * no tool can forget it (issue #12, item 1). Strictness changes no inferred type.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return { ...def, input: def.input.strict() as unknown as I };
}

/** Annotation presets, so each tool states its nature in one word. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const ADDITIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
export const ADDITIVE_IDEMPOTENT: ToolAnnotations = { ...ADDITIVE, idempotentHint: true };
export const DESTRUCTIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false };
export const DESTRUCTIVE_IDEMPOTENT: ToolAnnotations = { ...DESTRUCTIVE, idempotentHint: true };
