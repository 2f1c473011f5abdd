#!/usr/bin/env node
// Entry point: parse config → build deps → start the chosen transport.
import { ConfigError, parseConfig } from './config.js';
import { buildDeps } from './deps.js';
import { createLogger } from './log.js';
import { serveStdio } from './transports/stdio.js';

async function main(): Promise<number> {
  let command;
  try {
    command = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cnpg-mcp: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind !== 'run') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const { config } = command;
  const logger = createLogger(config.logLevel);
  const deps = buildDeps(config, logger);
  if (config.transport === 'stdio') {
    await serveStdio(deps);
    return 0;
  }
  const { serveHttp } = await import('./transports/http.js');
  return serveHttp(config, deps);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cnpg-mcp: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
