// stdio: one session for the life of the process, messages on stdin/stdout.
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createServer, type ServerDeps } from '../mcp/server.js';

export async function serveStdio(deps: ServerDeps): Promise<void> {
  const server = createServer(deps);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  deps.logger.info({ transport: 'stdio' }, 'cnpg-mcp ready on stdio');
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  await server.close();
  await deps.close?.();
}
