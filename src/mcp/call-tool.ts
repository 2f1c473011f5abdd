// tools/call: validate the arguments, run the handler, turn the outcome or the failure into a
// CallToolResult. Shared by every session; nothing here is per-session state.
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { allowingLastKnown, STALE_META_KEY, staleNote } from '../cnpg/last-known.js';
import { toolCalls, toolDuration } from '../metrics.js';
import { checkArguments } from './arguments.js';
import { type ConfirmingSession, confirmDestructive } from './confirm.js';
import { credentialsRefusal } from './modes.js';
import { describeError } from './errors.js';
import { errorResult, successResult } from './results.js';
import type { ServerDeps } from '../kit/deps.js';
import type { ToolContext, ToolDef } from '../kit/tool.js';

function actionOf(tool: ToolDef): string {
  return tool.title.charAt(0).toLowerCase() + tool.title.slice(1);
}

export async function callTool(tool: ToolDef, rawArgs: unknown, deps: ServerDeps, ctx: ServerContext, session?: ConfirmingSession): Promise<CallToolResult> {
  const parsed = checkArguments(tool.input, rawArgs);
  if (!parsed.ok) {
    toolCalls.inc({ tool: tool.name, outcome: 'invalid' });
    return errorResult(`Invalid arguments for ${tool.name}: ${parsed.problems.join('; ')}. Nothing was changed.`, deps.maxResponseChars);
  }
  const progressToken = ctx.mcpReq._meta?.progressToken;
  const stopTimer = toolDuration.startTimer({ tool: tool.name });
  try {
    const input = parsed.data as { namespace?: string; format?: string };
    // The one place the namespace allowlist is enforced: every tool acts in the namespace
    // resolved here, and its input carries that value, so no handler can skip the check.
    const namespace = deps.namespaces.resolve(input.namespace);
    if ('namespace' in tool.input.shape) input.namespace = namespace;
    // The one place destructive calls are confirmed with the user (src/mcp/confirm.ts).
    const verdict = await confirmDestructive(tool, input as Record<string, unknown>, namespace, session, ctx);
    if (!verdict.proceed) {
      toolCalls.inc({ tool: tool.name, outcome: 'declined' });
      return errorResult(`Did not ${actionOf(tool)}: ${verdict.reason}. Nothing was changed.`, deps.maxResponseChars);
    }
    const toolCtx = toolContext(deps, ctx, namespace, progressToken);
    // A read-only tool may be answered from the cache's last known state while the API server
    // is unreachable, saying how old it is (src/cnpg/last-known.ts); a tool that changes things never.
    const run = () => tool.handler(input, toolCtx);
    const { value: outcome, stale } = tool.annotations.readOnlyHint ? await allowingLastKnown(run) : { value: await run(), stale: undefined };
    toolCalls.inc({ tool: tool.name, outcome: 'ok' });
    const asJson = input.format === 'json';
    const data = outcome.data as Record<string, unknown>;
    if (!stale) return successResult(outcome.text, data, deps.maxResponseChars, asJson);
    // The text says it first (format=json: as a `cache` field, so it stays JSON); structuredContent
    // keeps the tool's output schema, and _meta carries the note for programs.
    const { sentence, note } = staleNote(stale);
    const result = asJson
      ? { ...successResult('', { ...data, cache: note }, deps.maxResponseChars, true), structuredContent: data }
      : successResult(`${sentence}\n\n${outcome.text}`, data, deps.maxResponseChars, false);
    return { ...result, _meta: { [STALE_META_KEY]: note } };
  } catch (err) {
    toolCalls.inc({ tool: tool.name, outcome: 'error' });
    deps.logger.warn({ tool: tool.name, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'tool call failed');
    return errorResult(describeError(err, actionOf(tool)), deps.maxResponseChars);
  } finally {
    stopTimer();
  }
}

function toolContext(deps: ServerDeps, ctx: ServerContext, namespace: string, progressToken: string | number | undefined): ToolContext {
  return {
    cnpg: deps.cnpg,
    namespace,
    allowedNamespaces: deps.namespaces.listScope(),
    credentialsRefusal: credentialsRefusal(deps.mode),
    signal: ctx.mcpReq.signal,
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }).catch(() => undefined);
    },
  };
}
