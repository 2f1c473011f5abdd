// createServer(deps): the MCP server of one session. Hosting (stdio, HTTP) is separate: a
// transport calls this once per session (never shares one across sessions: isolation).
//
// It is the SDK's low-level Server with handlers shared by every session of the same deps,
// over a tool catalog computed once per mode (src/mcp/catalog.ts). McpServer would register
// every tool and convert its schemas again for each session and each tools/list: ~170 µs and
// ~67 KB per session, which sessions-per-request and 10,000 idle SSE sessions cannot afford.
import { ProtocolError, ProtocolErrorCode, Server, type ServerContext, type ServerOptions } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import type { ServerDeps } from '../kit/deps.js';
import { SERVER_NAME, SERVER_VERSION } from '../version.js';
import { callTool } from './call-tool.js';
import { catalogFor, unknownToolMessage } from './catalog.js';
import { getPrompt, PROMPT_LIST } from './prompts.js';
import { listClusterResources, readClusterResource, RESOURCE_TEMPLATES } from './resources.js';

export type { ServerDeps };

export const INSTRUCTIONS =
  'Operate CloudNativePG PostgreSQL clusters on Kubernetes. Start with list_postgres_clusters and get_cluster_status; ' +
  'every mutating tool accepts dry_run=true to preview the change. Destructive tools (delete, restart, hibernate, fence, ' +
  'promote) interrupt service: confirm with the user first.';

type Handlers = ReturnType<typeof buildHandlers>;

function buildHandlers(deps: ServerDeps) {
  const catalog = catalogFor(deps.tools, deps.mode);
  return {
    listTools: () => catalog.list,
    callTool: (request: { params: { name: string; arguments?: Record<string, unknown> } }, ctx: ServerContext) => {
      const tool = catalog.byName.get(request.params.name);
      if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, unknownToolMessage(request.params.name, deps.mode, catalog));
      return callTool(tool, request.params.arguments, deps, ctx);
    },
    listResources: () => listClusterResources(deps),
    listResourceTemplates: () => RESOURCE_TEMPLATES,
    readResource: (request: { params: { uri: string } }) => readClusterResource(deps, request.params.uri),
    listPrompts: () => PROMPT_LIST,
    getPrompt: (request: { params: { name: string; arguments?: Record<string, string> } }) => getPrompt(request.params.name, request.params.arguments),
  };
}

// One set of handler closures per deps object (per process, or per impersonated principal).
const handlersByDeps = new WeakMap<ServerDeps, Handlers>();

const SERVER_INFO = Object.freeze({ name: SERVER_NAME, version: SERVER_VERSION });
// Built once: every session would otherwise get its own options and, through the SDK's default,
// its own JSON Schema validator (and, the first time it validated anything, its own Ajv). The
// validator compiles the server's own schemas and keeps no session data. The SDK copies
// `capabilities` into each Server and merges into new objects; frozen, so that a future SDK
// writing into the shared ones fails loudly instead of leaking one session's state into another.
const SERVER_OPTIONS: ServerOptions = {
  instructions: INSTRUCTIONS,
  capabilities: Object.freeze({ tools: Object.freeze({}), resources: Object.freeze({}), prompts: Object.freeze({}), logging: Object.freeze({}) }),
  jsonSchemaValidator: new AjvJsonSchemaValidator(),
};

/**
 * The SDK's Server, except that tools/call arguments that are not an object (an array, a string,
 * a number) get a sentence instead of the SDK's zod issue JSON (issue #12, "Small"). The SDK
 * validates the request envelope before any handler runs; `_wrapHandler` is its hook for this.
 */
class CnpgServer extends Server {
  protected override _wrapHandler(method: string, handler: Parameters<Server['_wrapHandler']>[1]): ReturnType<Server['_wrapHandler']> {
    const wrapped = super._wrapHandler(method, handler);
    if (method !== 'tools/call') return wrapped;
    return (request, ctx) => {
      const args = (request.params as { arguments?: unknown } | undefined)?.arguments;
      if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
        const got = args === null ? 'null' : Array.isArray(args) ? 'an array' : `a ${typeof args}`;
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `tools/call arguments must be a JSON object of named arguments, not ${got}. Nothing was changed.`,
        );
      }
      return wrapped(request, ctx);
    };
  }
}

export function createServer(deps: ServerDeps): Server {
  let h = handlersByDeps.get(deps);
  if (!h) {
    h = buildHandlers(deps);
    handlersByDeps.set(deps, h);
  }
  const server = new CnpgServer(SERVER_INFO, SERVER_OPTIONS);
  server.setRequestHandler('tools/list', h.listTools);
  server.setRequestHandler('tools/call', h.callTool);
  server.setRequestHandler('resources/list', h.listResources);
  server.setRequestHandler('resources/templates/list', h.listResourceTemplates);
  server.setRequestHandler('resources/read', h.readResource);
  server.setRequestHandler('prompts/list', h.listPrompts);
  server.setRequestHandler('prompts/get', h.getPrompt);
  return server;
}
