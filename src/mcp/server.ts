// createServer(deps): one McpServer with every tool the mode allows, plus resources and prompts.
// Hosting (stdio, HTTP) is separate: a transport calls this once per session.
import { McpServer } from '@modelcontextprotocol/server';
import type { CnpgClient } from '../cnpg/client.js';
import { ALL_TOOLS } from '../tools/index.js';
import { SERVER_NAME, SERVER_VERSION } from '../version.js';
import type { Logger } from '../log.js';
import { toolCalls, toolDuration } from '../metrics.js';
import { describeError } from './errors.js';
import { toolAllowed, type ModeOptions } from './modes.js';
import type { NamespacePolicy } from './namespaces.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { errorResult, successResult } from './results.js';
import type { ToolContext, ToolDef } from './tool.js';

export interface ServerDeps {
  cnpg(): CnpgClient;
  namespaces: NamespacePolicy;
  mode: ModeOptions;
  maxResponseChars: number;
  logger: Logger;
  /**
   * Present with --impersonate: the deps a session of that principal must use, whose
   * Kubernetes requests impersonate it (no shared cache). Transports call it per session.
   */
  forPrincipal?: (identity: { user: string; groups: string[] }) => ServerDeps;
  /** Releases shared resources (watches) at shutdown. */
  close?: () => Promise<void>;
}

export const INSTRUCTIONS =
  'Operate CloudNativePG PostgreSQL clusters on Kubernetes. Start with list_postgres_clusters and get_cluster_status; ' +
  'every mutating tool accepts dry_run=true to preview the change. Destructive tools (delete, restart, hibernate, fence, ' +
  'promote) interrupt service: confirm with the user first.';

export function allowedTools(mode: ModeOptions): ToolDef[] {
  return ALL_TOOLS.filter((t) => toolAllowed(t, mode));
}

export function createServer(deps: ServerDeps): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: INSTRUCTIONS, capabilities: { logging: {} } });
  for (const tool of allowedTools(deps.mode)) registerTool(server, tool, deps);
  registerResources(server, deps);
  registerPrompts(server);
  return server;
}

function registerTool(server: McpServer, tool: ToolDef, deps: ServerDeps): void {
  const action = tool.title.charAt(0).toLowerCase() + tool.title.slice(1);
  server.registerTool(
    tool.name,
    { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { title: tool.title, ...tool.annotations } },
    async (args, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      const toolCtx: ToolContext = {
        cnpg: deps.cnpg,
        namespaces: deps.namespaces,
        signal: ctx.mcpReq.signal,
        progress: async (progress, total, message) => {
          if (progressToken === undefined) return;
          await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }).catch(() => undefined);
        },
      };
      const stopTimer = toolDuration.startTimer({ tool: tool.name });
      try {
        const outcome = await tool.handler(args as never, toolCtx);
        toolCalls.inc({ tool: tool.name, outcome: 'ok' });
        const asJson = (args as { format?: string }).format === 'json';
        return successResult(outcome.text, outcome.data as Record<string, unknown>, deps.maxResponseChars, asJson);
      } catch (err) {
        toolCalls.inc({ tool: tool.name, outcome: 'error' });
        deps.logger.warn({ tool: tool.name, err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'tool call failed');
        return errorResult(describeError(err, action), deps.maxResponseChars);
      } finally {
        stopTimer();
      }
    },
  );
}
