// Connects the SDK's real Client to a server built by createServer, over the SDK's in-memory
// transport. The Kubernetes side is whatever kubeconfig the spec gives (usually none).
import { Client, type ClientOptions } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { parseConfig, type Config } from '../src/config.js';
import { buildDeps } from '../src/deps.js';
import { createLogger } from '../src/log.js';
import { createServer, type ServerDeps } from '../src/mcp/server.js';

export function testConfig(argv: string[] = [], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = parseConfig(argv, { KUBECONFIG: '/nonexistent/kubeconfig', ...env });
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  return parsed.config;
}

export function testDeps(argv: string[] = [], env: NodeJS.ProcessEnv = {}): ServerDeps {
  const config = testConfig(argv, env);
  return buildDeps(config, createLogger('silent'));
}

/** `clientOptions`: e.g. the capabilities the client declares (elicitation), set before initialize. */
export async function connectInMemory(
  deps: ServerDeps,
  clientOptions?: ClientOptions,
  beforeConnect?: (client: Client) => void,
): Promise<{ client: Client; close(): Promise<void> }> {
  const server = createServer(deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'spec-client', version: '1.0.0' }, clientOptions);
  beforeConnect?.(client);
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
