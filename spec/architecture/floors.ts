// The floors of src/, top to bottom: the one declaration of the layout (docs/architecture.md
// draws it). A file may import its own folder and any folder on a lower floor; never a folder on
// its own floor or above. Folders named on one floor are siblings that do not know each other.
// A room is a folder under src/, or one of the two groups of files at the root of src/ below.
export const ROOT_ROOMS: Readonly<Record<string, readonly string[]>> = {
  entry: ['main.ts', 'node-version.ts', 'run.ts', 'deps.ts', 'deferred-deps.ts', 'server-settings.ts'],
  base: ['config.ts', 'log.ts', 'metrics.ts', 'version.ts', 'redis.ts', 'loopback.ts'],
};

export const FLOORS: readonly (readonly string[])[] = [
  // composition: the only code that picks the pieces (tools included) and wires them together
  ['entry'],
  // the HTTP app: one composer of routes, guards, sessions and relay; the listener
  ['app'],
  // how messages arrive: stdio, legacy SSE, Streamable HTTP; and the relay between replicas
  ['transports', 'relay'],
  // what every HTTP request passes before a transport sees it
  ['guards'],
  // who holds which session, for whom, with how many calls in flight
  ['sessions'],
  // the JSON-RPC envelope, its error answers, route paths: facts about one HTTP request
  ['protocol'],
  // the MCP server factory; the tools it is given
  ['mcp', 'tools'],
  // what the server and the tools share: ToolDef, annotations, ToolError, ServerDeps
  ['kit'],
  // the typed CNPG client over Kubernetes; the SQL guard
  ['cnpg', 'sql'],
  // leaves: settings, logging, metrics, version, the Redis connection
  ['base'],
];
