// Placeholder replaced by the HTTP transport (issue #4).
import type { Config } from '../config.js';
import type { ServerDeps } from '../mcp/server.js';

export async function serveHttp(_config: Config, deps: ServerDeps): Promise<number> {
  deps.logger.error('the http transport is not available in this build');
  return 2;
}
