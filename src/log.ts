// Structured logs to stderr (stdout belongs to the stdio transport). Secrets never reach a
// log line: pino's redact removes the known secret-bearing paths.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'cnpg-mcp' },
      redact: { paths: ['token', 'authorization', 'password', '*.password', '*.token', 'headers.authorization', 'args.password'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}
