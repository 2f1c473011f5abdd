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
import { complete } from './completions.js';
import type { ConfirmingSession } from './confirm.js';
import { getPrompt, PROMPT_LIST } from './prompts.js';
import { listClusterResources, readClusterResource, RESOURCE_TEMPLATES } from './resources.js';
import { type ClusterSubscriptions, NO_SUBSCRIPTIONS, subscriptionsFor } from './subscriptions.js';

export type { ServerDeps };

export const INSTRUCTIONS =
  'Operate CloudNativePG PostgreSQL clusters on Kubernetes. Start with list_postgres_clusters and get_cluster_status; ' +
  'every mutating tool accepts dry_run=true to preview the change. Destructive tools (delete, restart, hibernate, fence, ' +
  'promote) interrupt service: confirm with the user first.';

type Handlers = ReturnType<typeof buildHandlers>;

const hubs = new WeakMap<ServerDeps, ClusterSubscriptions>();

/** The resource subscriptions of these deps (undefined without the shared watch cache): specs count their sessions. */
export function subscriptionsOf(deps: ServerDeps): ClusterSubscriptions | undefined {
  return subscriptionsFor(deps, hubs);
}

/**
 * A session-less (2026-07-28) request carries its envelope and has no channel back outside its
 * own answer: nothing can be pushed to it later.
 */
function sessionless(ctx: ServerContext): boolean {
  return ctx.mcpReq.envelope !== undefined;
}

const SESSIONLESS_SUBSCRIBE =
  'resources/subscribe needs a session with a channel for notifications (stdio, legacy SSE, or Streamable HTTP after initialize); ' +
  'a session-less request has none: send subscriptions/listen with resourceSubscriptions instead. Nothing was subscribed.';

function buildHandlers(deps: ServerDeps) {
  const catalog = catalogFor(deps.tools, deps.mode);
  const hub = () => subscriptionsOf(deps);
  const subscribing = (ctx: ServerContext) => {
    if (sessionless(ctx)) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, SESSIONLESS_SUBSCRIBE);
    const h = hub();
    if (!h) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, NO_SUBSCRIPTIONS);
    return h;
  };
  return {
    listTools: () => catalog.list,
    callTool: (request: { params: { name: string; arguments?: Record<string, unknown> } }, ctx: ServerContext, session: ConfirmingSession) => {
      const tool = catalog.byName.get(request.params.name);
      if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, unknownToolMessage(request.params.name, deps.mode, catalog));
      return callTool(tool, request.params.arguments, deps, ctx, session);
    },
    listResourcesFor: async (server: Server, ctx: ServerContext) => {
      const result = await listClusterResources(deps);
      // Listing is what makes a session interested in the list changing (list_changed).
      if (!sessionless(ctx)) hub()?.join(server);
      return result;
    },
    subscribe: (server: Server, uri: string, ctx: ServerContext) => {
      const h = subscribing(ctx);
      try {
        h.subscribe(server, uri);
      } catch (err) {
        if (err instanceof ProtocolError) throw err;
        // Starting the watch failed (stdio without a kubeconfig): said, not an internal error.
        throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `cannot subscribe to ${uri.slice(0, 200)}: ${(err as Error).message}`);
      }
      return {};
    },
    unsubscribe: (server: Server, uri: string, ctx: ServerContext) => {
      subscribing(ctx).unsubscribe(server, uri);
      return {};
    },
    leave: (server: Server) => hub()?.leave(server),
    complete: (request: { params: Parameters<typeof complete>[1] }) => complete(deps, request.params),
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
const JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();
function serverOptions(subscribe: boolean): ServerOptions {
  const resources = subscribe ? { subscribe: true, listChanged: true } : {};
  const frozen = { tools: {}, resources, prompts: {}, logging: {}, completions: {} };
  for (const v of Object.values(frozen)) Object.freeze(v);
  return { instructions: INSTRUCTIONS, capabilities: Object.freeze(frozen), jsonSchemaValidator: JSON_SCHEMA_VALIDATOR };
}
/** Subscriptions (and list_changed) are advertised only where the shared watch cache feeds them. */
const SERVER_OPTIONS = { subscribing: serverOptions(true), plain: serverOptions(false) };

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

  /**
   * The SDK's close builds a `ConnectionClosed` SdkError on every close, whether or not a pending
   * request or handler receives it, and the stack it captures describes only this teardown path.
   * A session-less Server closes once per request: ~15 µs of stack capture each, measured. The
   * error itself, its code and message are unchanged; stacks are never logged or sent anyway.
   */
  protected override _onclose(): void {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super._onclose();
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export function createServer(deps: ServerDeps): Server {
  let h = handlersByDeps.get(deps);
  if (!h) {
    h = buildHandlers(deps);
    handlersByDeps.set(deps, h);
  }
  const handlers = h;
  const server = new CnpgServer(SERVER_INFO, deps.clusterChanges ? SERVER_OPTIONS.subscribing : SERVER_OPTIONS.plain);
  // The per-session closures below are a few bytes each: what they close over is this session's server.
  const session: ConfirmingSession = { clientCapabilities: () => server.getClientCapabilities() };
  server.setRequestHandler('tools/list', handlers.listTools);
  server.setRequestHandler('tools/call', (request, ctx) => handlers.callTool(request, ctx, session));
  server.setRequestHandler('resources/list', (_request, ctx) => handlers.listResourcesFor(server, ctx));
  server.setRequestHandler('resources/templates/list', handlers.listResourceTemplates);
  server.setRequestHandler('resources/read', handlers.readResource);
  server.setRequestHandler('resources/subscribe', (request, ctx) => handlers.subscribe(server, request.params.uri, ctx));
  server.setRequestHandler('resources/unsubscribe', (request, ctx) => handlers.unsubscribe(server, request.params.uri, ctx));
  server.setRequestHandler('completion/complete', handlers.complete);
  server.setRequestHandler('prompts/list', handlers.listPrompts);
  server.setRequestHandler('prompts/get', handlers.getPrompt);
  // The session is over (transport closed, DELETE, idle reaping, shutdown): its subscriptions go with it.
  server.onclose = () => handlers.leave(server);
  return server;
}
