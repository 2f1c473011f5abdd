// Starts the real server as a child process over stdio and connects the SDK's Client to it,
// exactly as an MCP host does (the SDK's transport spawns it). One helper for every spec that drives tools over stdio.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { repoRoot, SOURCE_ENTRY } from './server-process.js';

export interface ToolCallResult {
  isError?: boolean;
  text: string;
  data: Record<string, unknown> | undefined;
}

export interface StdioSession {
  client: Client;
  /** Calls a tool and flattens the result to its text and structured content. */
  call(name: string, args?: Record<string, unknown>, options?: Parameters<Client['callTool']>[1]): Promise<ToolCallResult>;
  close(): Promise<void>;
}

export async function startStdioServer(kubeconfigPath: string, extraArgs: string[] = []): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    // process.execPath is the Node 24 that runs the suite; tsx loads the TypeScript sources.
    command: process.execPath,
    args: [...SOURCE_ENTRY, '--log-level', 'warn', ...extraArgs],
    cwd: repoRoot,
    env: { ...(process.env as Record<string, string>), KUBECONFIG: kubeconfigPath },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    async call(name, args = {}, options) {
      const result = await client.callTool({ name, arguments: args }, options);
      const content = (result.content ?? []) as { type: string; text?: string }[];
      return {
        isError: result.isError === true,
        text: content.map((c) => c.text ?? '').join('\n'),
        data: result.structuredContent as Record<string, unknown> | undefined,
      };
    },
    close: () => client.close(),
  };
}
