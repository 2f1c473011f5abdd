// The part of ServerDeps that comes from the config alone (mode, tools, limits, logger): shared by
// the deps built at once (src/deps.ts) and the deferred ones of stdio (src/deferred-deps.ts).
import type { Config } from './config.js';
import type { ServerDeps } from './kit/deps.js';
import type { Logger } from './log.js';
import { ALL_TOOLS } from './tools/index.js';

export function serverSettings(config: Config, logger: Logger): Pick<ServerDeps, 'mode' | 'tools' | 'maxResponseChars' | 'logger'> {
  return {
    mode: {
      readOnly: config.readOnly,
      readOnlyCredentials: config.readOnlyCredentials,
      disableDestructive: config.disableDestructive,
      allowSql: config.allowSql,
    },
    tools: ALL_TOOLS,
    maxResponseChars: config.maxResponseChars,
    logger,
  };
}
