// stdio: one session for the life of the process, messages on stdin/stdout. The Kubernetes side
// is loaded on the first request that may need it (src/deferred-deps.ts), so a client window
// gets its initialize answer without paying for @kubernetes/client-node (issue #13).
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { DeferredDeps } from '../kit/deps.js';
import type { Logger } from '../log.js';
import { createServer } from '../mcp/server.js';

/** Requests answered without Kubernetes; every other request waits for its client to load. */
const WITHOUT_KUBERNETES = new Set(['initialize', 'ping', 'tools/list', 'prompts/list', 'prompts/get', 'resources/templates/list', 'logging/setLevel']);

function mayNeedKubernetes(message: JSONRPCMessage): boolean {
  return 'method' in message && 'id' in message && !WITHOUT_KUBERNETES.has(message.method);
}

/** `lazy`: the deps run.ts deferred (src/deferred-deps.ts), loaded here on the first request that needs them. */
export async function serveStdio(lazy: DeferredDeps, logger: Logger): Promise<void> {
  const server = createServer(lazy.deps);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  // From the first request that waits for the load on, every message queues behind it, so a
  // cancellation never overtakes the request it cancels.
  const deliver = transport.onmessage!;
  let queue: Promise<void> | undefined;
  transport.onmessage = (message) => {
    if (!queue && (lazy.loaded || !mayNeedKubernetes(message))) return deliver(message);
    queue = (queue ?? lazy.load().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'loading the Kubernetes client failed'))).then(() =>
      deliver(message),
    );
  };
  logger.info({ transport: 'stdio' }, 'cnpg-mcp ready on stdio');
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  await server.close();
  await lazy.deps.close?.();
}
