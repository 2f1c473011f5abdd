// One typed, validated Config: the only reader of process.env and command-line flags.
// Every option is declared once in OPTIONS; parsing, env fallback and --help come from it.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

type OptionType = 'string' | 'boolean';
interface OptionSpec {
  type: OptionType;
  env?: string;
  help: string;
  default?: string;
  group: 'general' | 'kubernetes' | 'safety' | 'http';
}

export const OPTIONS = {
  transport: { type: 'string', env: 'CNPG_MCP_TRANSPORT', default: 'stdio', group: 'general', help: 'stdio (default) or http' },
  'max-response-chars': { type: 'string', env: 'CNPG_MCP_MAX_RESPONSE_CHARS', default: '25000', group: 'general', help: 'longest text a tool returns; longer results are truncated with a note' },
  'log-level': { type: 'string', env: 'CNPG_MCP_LOG_LEVEL', default: 'info', group: 'general', help: 'debug, info, warn or error (logs go to stderr)' },
  kubeconfig: { type: 'string', env: 'KUBECONFIG', group: 'kubernetes', help: 'kubeconfig file; default ~/.kube/config, or in-cluster config when running in a pod' },
  context: { type: 'string', env: 'CNPG_MCP_CONTEXT', group: 'kubernetes', help: 'kubeconfig context to use (default: current context)' },
  namespace: { type: 'string', env: 'CNPG_MCP_NAMESPACE', group: 'kubernetes', help: "default namespace for tools (default: the context's namespace, else 'default')" },
  'watch-cache': { type: 'string', env: 'CNPG_MCP_WATCH_CACHE', default: 'on', group: 'kubernetes', help: 'on: serve reads of CNPG objects from a shared watch-fed cache; off: read the API every time' },
  impersonate: { type: 'boolean', env: 'CNPG_MCP_IMPERSONATE', group: 'kubernetes', help: "act as each authenticated principal via Kubernetes impersonation (the server's identity needs the impersonate verb); disables the shared cache" },
  'read-only': { type: 'boolean', env: 'CNPG_MCP_READ_ONLY', group: 'safety', help: 'register only read-only tools' },
  'disable-destructive': { type: 'boolean', env: 'CNPG_MCP_DISABLE_DESTRUCTIVE', group: 'safety', help: 'do not register destructive tools (delete, restart, hibernate, fence, …)' },
  namespaces: { type: 'string', env: 'CNPG_MCP_NAMESPACES', group: 'safety', help: 'comma-separated allowlist; every other namespace is refused' },
  host: { type: 'string', env: 'CNPG_MCP_HOST', default: '127.0.0.1', group: 'http', help: 'address to bind (http transport); 0.0.0.0 only when asked' },
  port: { type: 'string', env: 'CNPG_MCP_PORT', default: '3000', group: 'http', help: 'port to listen on (http transport); 0 picks a free one' },
  'max-sessions': { type: 'string', env: 'CNPG_MCP_MAX_SESSIONS', default: '1000', group: 'http', help: 'open sessions allowed at once; more get 503' },
  'session-idle-timeout': { type: 'string', env: 'CNPG_MCP_SESSION_IDLE_TIMEOUT', default: '1800', group: 'http', help: 'seconds before an idle session is closed' },
  'body-limit': { type: 'string', env: 'CNPG_MCP_BODY_LIMIT', default: '1mb', group: 'http', help: 'largest request body accepted (413 beyond)' },
  'keepalive-interval': { type: 'string', env: 'CNPG_MCP_KEEPALIVE_INTERVAL', default: '25', group: 'http', help: 'seconds between keep-alive comments on open streams' },
  'shutdown-timeout': { type: 'string', env: 'CNPG_MCP_SHUTDOWN_TIMEOUT', default: '20', group: 'http', help: 'seconds in-flight calls get to finish on SIGTERM' },
  help: { type: 'boolean', group: 'general', help: 'print this help and exit' },
  version: { type: 'boolean', group: 'general', help: 'print the version and exit' },
} satisfies Record<string, OptionSpec>;

const csv = (s: string | undefined) =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean) ?? [];

const rfc1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ConfigSchema = z.object({
  transport: z.enum(['stdio', 'http']),
  maxResponseChars: intIn(1000, 1_000_000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespace: z.string().regex(rfc1123, 'must be a valid namespace name').optional(),
  watchCache: z.enum(['on', 'off']).transform((v) => v === 'on'),
  impersonate: z.boolean(),
  readOnly: z.boolean(),
  disableDestructive: z.boolean(),
  namespaces: z.array(z.string().regex(rfc1123, 'each entry must be a valid namespace name')),
  http: z.object({
    host: z.string().min(1),
    port: intIn(0, 65535),
    maxSessions: intIn(1, 1_000_000),
    sessionIdleTimeoutSec: intIn(1, 86_400),
    bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb'),
    keepaliveIntervalSec: intIn(1, 3600),
    shutdownTimeoutSec: intIn(0, 600),
  }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ParsedCommand = { kind: 'run'; config: Config } | { kind: 'help'; text: string } | { kind: 'version'; text: string };

export class ConfigError extends Error {}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** Parses flags (which win) and environment variables (the fallback) into a validated Config. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const parseOptions = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, { type: v.type }])) as Record<
    string,
    { type: OptionType }
  >;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  if (values.help) return { kind: 'help', text: helpText() };
  if (values.version) return { kind: 'version', text: `${SERVER_NAME} ${SERVER_VERSION}` };

  const get = (name: keyof typeof OPTIONS): string | boolean | undefined => {
    const spec: OptionSpec = OPTIONS[name];
    const flag = values[name];
    if (flag !== undefined) return flag;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (spec.type === 'boolean') return truthy(fromEnv);
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default;
  };
  const str = (name: keyof typeof OPTIONS) => get(name) as string | undefined;

  const raw = {
    transport: str('transport'),
    maxResponseChars: str('max-response-chars'),
    logLevel: str('log-level'),
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    namespace: str('namespace'),
    watchCache: str('watch-cache'),
    impersonate: get('impersonate') === true,
    readOnly: get('read-only') === true,
    disableDestructive: get('disable-destructive') === true,
    namespaces: csv(str('namespaces')),
    http: {
      host: str('host'),
      port: str('port'),
      maxSessions: str('max-sessions'),
      sessionIdleTimeoutSec: str('session-idle-timeout'),
      bodyLimit: str('body-limit'),
      keepaliveIntervalSec: str('keepalive-interval'),
      shutdownTimeoutSec: str('shutdown-timeout'),
    },
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return { kind: 'run', config: parsed.data };
}

export function helpText(): string {
  const groups: Record<OptionSpec['group'], string> = {
    general: 'General',
    kubernetes: 'Kubernetes',
    safety: 'Safety modes',
    http: 'HTTP transport',
  };
  const lines = [
    `${SERVER_NAME} ${SERVER_VERSION} — MCP server for CloudNativePG`,
    '',
    'Usage: cnpg-mcp [options]',
    '',
    'Every option can also be set by the environment variable shown; a flag wins over it.',
  ];
  for (const [group, title] of Object.entries(groups)) {
    lines.push('', `${title}:`);
    for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
      if (spec.group !== group) continue;
      const flag = spec.type === 'string' ? `--${name} <value>` : `--${name}`;
      const extra = [spec.env ? `env ${spec.env}` : '', spec.default ? `default ${spec.default}` : ''].filter(Boolean).join(', ');
      lines.push(`  ${flag.padEnd(34)} ${spec.help}${extra ? ` (${extra})` : ''}`);
    }
  }
  return lines.join('\n');
}
