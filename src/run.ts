// parse config → build deps → start the chosen transport. Each transport is imported only when
// chosen: stdio never loads the HTTP stack (express, Redis, metrics routes), and loads
// @kubernetes/client-node only on the first request that may need it (src/deferred-deps.ts).
import { enableCompileCache } from 'node:module';
import { ConfigError, parseConfig, type ParsedCommand } from './config.js';
import { createLogger } from './log.js';

async function main(): Promise<number> {
  let command: ParsedCommand;
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
  if (config.transport === 'stdio') {
    // V8's code cache on disk (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache; off with
    // NODE_DISABLE_COMPILE_CACHE=1): a stdio server starts once per client window, and each start
    // after the first skips compiling the SDK and, at the first tool call, the Kubernetes client
    // (issue #13, docs/benchmarks.md). Not for HTTP: one long-lived process, which the cached code
    // would cost ~8 MiB of RSS. A directory that cannot be written only leaves it off.
    enableCompileCache();
    const [{ deferDeps }, { serveStdio }] = await Promise.all([import('./deferred-deps.js'), import('./transports/stdio.js')]);
    await serveStdio(deferDeps(config, logger), logger);
    return 0;
  }
  const [{ buildDeps }, { serveHttp }] = await Promise.all([import('./deps.js'), import('./app/serve.js')]);
  return serveHttp(config, buildDeps(config, logger));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cnpg-mcp: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
