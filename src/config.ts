// One typed, validated Config: the only reader of process.env and command-line flags.
// Every option is declared once in OPTIONS; parsing, env fallback and --help come from it.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isLoopbackHost } from './loopback.js';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

type OptionType = 'string' | 'boolean';
interface OptionSpec {
  type: OptionType;
  env?: string;
  help: string;
  default?: string;
  group: 'general' | 'kubernetes' | 'safety' | 'http' | 'auth' | 'limits';
}

export const OPTIONS = {
  transport: { type: 'string', env: 'CNPG_MCP_TRANSPORT', default: 'stdio', group: 'general', help: 'stdio (default) or http' },
  'max-response-chars': {
    type: 'string',
    env: 'CNPG_MCP_MAX_RESPONSE_CHARS',
    default: '25000',
    group: 'general',
    help: 'longest text a tool returns; longer results are truncated with a note',
  },
  'log-level': { type: 'string', env: 'CNPG_MCP_LOG_LEVEL', default: 'info', group: 'general', help: 'debug, info, warn or error (logs go to stderr)' },
  kubeconfig: {
    type: 'string',
    env: 'KUBECONFIG',
    group: 'kubernetes',
    help: 'kubeconfig file; default ~/.kube/config, or in-cluster config when running in a pod',
  },
  context: { type: 'string', env: 'CNPG_MCP_CONTEXT', group: 'kubernetes', help: 'kubeconfig context to use (default: current context)' },
  namespace: {
    type: 'string',
    env: 'CNPG_MCP_NAMESPACE',
    group: 'kubernetes',
    help: "default namespace for tools (default: the context's namespace, else 'default')",
  },
  'watch-cache': {
    type: 'string',
    env: 'CNPG_MCP_WATCH_CACHE',
    default: 'on',
    group: 'kubernetes',
    help: 'on: serve reads of CNPG objects from a shared watch-fed cache; off: read the API every time',
  },
  impersonate: {
    type: 'boolean',
    env: 'CNPG_MCP_IMPERSONATE',
    group: 'kubernetes',
    help: "act as each authenticated principal via Kubernetes impersonation (the server's identity needs the impersonate verb); disables the shared cache",
  },
  'read-only': { type: 'boolean', env: 'CNPG_MCP_READ_ONLY', group: 'safety', help: 'register only read-only tools' },
  'read-only-credentials': {
    type: 'boolean',
    env: 'CNPG_MCP_READ_ONLY_CREDENTIALS',
    group: 'safety',
    help: 'with --read-only, still let get_connection_info include_credentials=true return passwords',
  },
  'disable-destructive': {
    type: 'boolean',
    env: 'CNPG_MCP_DISABLE_DESTRUCTIVE',
    group: 'safety',
    help: 'do not register destructive tools (delete, restart, hibernate, fence, …)',
  },
  'allow-sql': {
    type: 'boolean',
    env: 'CNPG_MCP_ALLOW_SQL',
    group: 'safety',
    help: 'register query_postgres: one read-only SQL statement on an instance through pod exec (needs pods/exec create)',
  },
  namespaces: { type: 'string', env: 'CNPG_MCP_NAMESPACES', group: 'safety', help: 'comma-separated allowlist; every other namespace is refused' },
  host: { type: 'string', env: 'CNPG_MCP_HOST', default: '127.0.0.1', group: 'http', help: 'address to bind (http transport); 0.0.0.0 only when asked' },
  port: { type: 'string', env: 'CNPG_MCP_PORT', default: '3000', group: 'http', help: 'port to listen on (http transport); 0 picks a free one' },
  'max-sessions': { type: 'string', env: 'CNPG_MCP_MAX_SESSIONS', default: '1000', group: 'http', help: 'open sessions allowed at once; more get 503' },
  'session-idle-timeout': {
    type: 'string',
    env: 'CNPG_MCP_SESSION_IDLE_TIMEOUT',
    default: '1800',
    group: 'http',
    help: 'seconds before an idle session is closed',
  },
  'body-limit': { type: 'string', env: 'CNPG_MCP_BODY_LIMIT', default: '1mb', group: 'http', help: 'largest request body accepted (413 beyond)' },
  'keepalive-interval': {
    type: 'string',
    env: 'CNPG_MCP_KEEPALIVE_INTERVAL',
    default: '25',
    group: 'http',
    help: 'seconds between keep-alive comments on open streams',
  },
  'shutdown-timeout': {
    type: 'string',
    env: 'CNPG_MCP_SHUTDOWN_TIMEOUT',
    default: '20',
    group: 'http',
    help: 'seconds in-flight calls get to finish on SIGTERM',
  },
  'headers-timeout': {
    type: 'string',
    env: 'CNPG_MCP_HEADERS_TIMEOUT',
    default: '10',
    group: 'http',
    help: 'seconds a client gets to send its request headers; slower connections are cut (slowloris)',
  },
  'tls-cert': { type: 'string', env: 'CNPG_MCP_TLS_CERT', group: 'http', help: 'PEM certificate (chain) to serve HTTPS with; reloaded when the file changes' },
  'tls-key': { type: 'string', env: 'CNPG_MCP_TLS_KEY', group: 'http', help: 'PEM private key of --tls-cert; reloaded when the file changes' },
  'metrics-port': {
    type: 'string',
    env: 'CNPG_MCP_METRICS_PORT',
    group: 'http',
    help: 'serve /metrics without auth on this port (same host) instead of behind auth on the main port',
  },
  'allowed-hosts': {
    type: 'string',
    env: 'CNPG_MCP_ALLOWED_HOSTS',
    group: 'http',
    help: 'comma-separated Host names accepted (DNS-rebinding defence); default: loopback names on a loopback bind, any otherwise',
  },
  'cors-origins': {
    type: 'string',
    env: 'CNPG_MCP_CORS_ORIGINS',
    group: 'http',
    help: 'comma-separated browser origins (https://app.example.com) allowed to call the server; default: none (CORS off)',
  },
  'trust-proxy': {
    type: 'string',
    env: 'CNPG_MCP_TRUST_PROXY',
    group: 'http',
    help: "reverse proxies whose X-Forwarded-For is believed for the client address: a hop count or addresses/CIDRs ('loopback, 10.0.0.0/8')",
  },
  'audit-log': {
    type: 'string',
    env: 'CNPG_MCP_AUDIT_LOG',
    group: 'http',
    help: 'append the audit log (one JSON line per MCP request and per refusal) to this file; default: stdout, apart from the logs on stderr',
  },
  'auth-tokens-file': {
    type: 'string',
    env: 'CNPG_MCP_AUTH_TOKENS_FILE',
    group: 'auth',
    help: "bearer tokens, one per line ('token[:principal[:group,group]]', '#' comments), e.g. a mounted Secret; re-read when it changes",
  },
  'oidc-issuer': {
    type: 'string',
    env: 'CNPG_MCP_OIDC_ISSUER',
    group: 'auth',
    help: 'accept JWTs from this OpenID Connect issuer (keys from its discovery document)',
  },
  'oidc-audience': {
    type: 'string',
    env: 'CNPG_MCP_OIDC_AUDIENCE',
    group: 'auth',
    help: "comma-separated audiences a JWT's aud must name (required with --oidc-issuer)",
  },
  'oidc-jwks-uri': {
    type: 'string',
    env: 'CNPG_MCP_OIDC_JWKS_URI',
    group: 'auth',
    help: "JWKS URL; default: the jwks_uri of the issuer's /.well-known/openid-configuration",
  },
  'oidc-groups-claim': {
    type: 'string',
    env: 'CNPG_MCP_OIDC_GROUPS_CLAIM',
    default: 'groups',
    group: 'auth',
    help: 'JWT claim holding the groups (a dotted path like realm_access.roles works)',
  },
  'resource-url': {
    type: 'string',
    env: 'CNPG_MCP_RESOURCE_URL',
    group: 'auth',
    help: 'public URL of this server: enables RFC 9728 metadata at /.well-known/oauth-protected-resource',
  },
  'allow-query-token': {
    type: 'boolean',
    env: 'CNPG_MCP_ALLOW_QUERY_TOKEN',
    group: 'auth',
    help: 'accept ?token= for clients that cannot set headers (EventSource); off: a request carrying one is refused',
  },
  'insecure-no-auth': {
    type: 'boolean',
    env: 'CNPG_MCP_INSECURE_NO_AUTH',
    group: 'auth',
    help: 'allow serving HTTP on a non-loopback address without authentication (never in production)',
  },
  'rate-limit-per-minute': {
    type: 'string',
    env: 'CNPG_MCP_RATE_LIMIT_PER_MINUTE',
    default: '600',
    group: 'limits',
    help: 'HTTP requests one principal may make per minute (429 beyond); 0: no limit',
  },
  'auth-failures-per-minute': {
    type: 'string',
    env: 'CNPG_MCP_AUTH_FAILURES_PER_MINUTE',
    default: '10',
    group: 'limits',
    help: 'failed authentications one client address may make per minute before it is blocked for a minute',
  },
  'redis-url': {
    type: 'string',
    env: 'CNPG_MCP_REDIS_URL',
    group: 'limits',
    help: 'redis:// or rediss:// URL: share the rate limits across replicas and relay session traffic to the replica holding the session (default: per process)',
  },
  'max-sessions-per-principal': {
    type: 'string',
    env: 'CNPG_MCP_MAX_SESSIONS_PER_PRINCIPAL',
    default: '50',
    group: 'limits',
    help: 'open sessions one principal may hold (429 beyond); 0: no limit',
  },
  'max-concurrent-calls': {
    type: 'string',
    env: 'CNPG_MCP_MAX_CONCURRENT_CALLS',
    default: '64',
    group: 'limits',
    help: 'tool calls running at once in this process (503 beyond); 0: no limit',
  },
  help: { type: 'boolean', group: 'general', help: 'print this help and exit' },
  version: { type: 'boolean', group: 'general', help: 'print the version and exit' },
} satisfies Record<string, OptionSpec>;

/**
 * Settings read from the environment only. AUTH_TOKENS has no flag on purpose: a flag's value is
 * visible to every user of the machine in the process list, an environment variable is not.
 */
export const ENV_ONLY = {
  AUTH_TOKENS: { group: 'auth', help: 'comma-separated bearer tokens (plain tokens; name principals in --auth-tokens-file)' },
} satisfies Record<string, { group: OptionSpec['group']; help: string }>;

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
  readOnlyCredentials: z.boolean(),
  disableDestructive: z.boolean(),
  allowSql: z.boolean(),
  namespaces: z.array(z.string().regex(rfc1123, 'each entry must be a valid namespace name')),
  http: z.object({
    host: z.string().min(1),
    port: intIn(0, 65535),
    maxSessions: intIn(1, 1_000_000),
    sessionIdleTimeoutSec: intIn(1, 86_400),
    bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb'),
    keepaliveIntervalSec: intIn(1, 3600),
    shutdownTimeoutSec: intIn(0, 600),
    headersTimeoutSec: intIn(1, 600),
    // Both or neither: checked in checkHttpSecurity() for a message that names the flags.
    tls: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
    metricsPort: intIn(0, 65535).optional(),
    allowedHosts: z.array(z.string().min(1)).optional(),
    // Normalized to what a browser sends in Origin (lowercase host, no default port, no slash).
    corsOrigins: z.array(
      z
        .string()
        .refine(isOrigin, 'each entry must be an origin like https://app.example.com (scheme, host, optional port; no path, no *)')
        .transform((v) => new URL(v).origin),
    ),
    trustProxy: z.string().optional(),
    auditLog: z.string().min(1).optional(),
    rateLimitPerMinute: intIn(0, 1_000_000),
    authFailuresPerMinute: intIn(1, 10_000),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
      .optional(),
    maxSessionsPerPrincipal: intIn(0, 1_000_000),
    maxConcurrentCalls: intIn(0, 100_000),
    auth: z.object({
      tokens: z.array(z.string()),
      tokensFile: z.string().min(1).optional(),
      oidc: z
        .object({
          issuer: z.url({ protocol: /^https?$/ }),
          audience: z.array(z.string().min(1)).min(1, '--oidc-audience is required with --oidc-issuer'),
          jwksUri: z.url({ protocol: /^https?$/ }).optional(),
          groupsClaim: z.string().min(1),
        })
        .optional(),
      resourceUrl: z.url({ protocol: /^https?$/ }).optional(),
      allowQueryToken: z.boolean(),
      /** The top-level --impersonate, repeated here because the HTTP layer sees only config.http. */
      impersonate: z.boolean(),
      insecureNoAuth: z.boolean(),
    }),
  }),
});

export type Config = z.infer<typeof ConfigSchema>;
/** The HTTP transport's settings: what the app, the guards and the sessions are built from. */
export type HttpConfig = Config['http'];
export type ParsedCommand = { kind: 'run'; config: Config } | { kind: 'help'; text: string } | { kind: 'version'; text: string };

export class ConfigError extends Error {}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** Parses flags (which win) and environment variables (the fallback) into a validated Config. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const parseOptions = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, { type: v.type }])) as Record<string, { type: OptionType }>;
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
    readOnlyCredentials: get('read-only-credentials') === true,
    disableDestructive: get('disable-destructive') === true,
    allowSql: get('allow-sql') === true,
    namespaces: csv(str('namespaces')),
    http: {
      host: str('host'),
      port: str('port'),
      maxSessions: str('max-sessions'),
      sessionIdleTimeoutSec: str('session-idle-timeout'),
      bodyLimit: str('body-limit'),
      keepaliveIntervalSec: str('keepalive-interval'),
      shutdownTimeoutSec: str('shutdown-timeout'),
      headersTimeoutSec: str('headers-timeout'),
      tls: str('tls-cert') || str('tls-key') ? { certFile: str('tls-cert') ?? '', keyFile: str('tls-key') ?? '' } : undefined,
      metricsPort: str('metrics-port'),
      allowedHosts: str('allowed-hosts') ? csv(str('allowed-hosts')).map((h) => h.toLowerCase()) : undefined,
      corsOrigins: csv(str('cors-origins')),
      trustProxy: str('trust-proxy'),
      auditLog: str('audit-log'),
      rateLimitPerMinute: str('rate-limit-per-minute'),
      authFailuresPerMinute: str('auth-failures-per-minute'),
      redisUrl: str('redis-url'),
      maxSessionsPerPrincipal: str('max-sessions-per-principal'),
      maxConcurrentCalls: str('max-concurrent-calls'),
      auth: {
        tokens: csv(env.AUTH_TOKENS),
        tokensFile: str('auth-tokens-file'),
        oidc: str('oidc-issuer')
          ? { issuer: str('oidc-issuer'), audience: csv(str('oidc-audience')), jwksUri: str('oidc-jwks-uri'), groupsClaim: str('oidc-groups-claim') }
          : undefined,
        resourceUrl: str('resource-url'),
        allowQueryToken: get('allow-query-token') === true,
        impersonate: get('impersonate') === true,
        insecureNoAuth: get('insecure-no-auth') === true,
      },
    },
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  checkHttpSecurity(parsed.data);
  return { kind: 'run', config: parsed.data };
}

/** Whether `value` is a bare origin: scheme://host[:port], nothing else (what a browser sends in Origin). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password &&
      !/[?#]/.test(value)
    );
  } catch {
    return false;
  }
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */

/** Whether any way to authenticate is configured (tokens, a tokens file, or OIDC). */
export function authConfigured(http: Config['http']): boolean {
  return http.auth.tokens.length > 0 || http.auth.tokensFile !== undefined || http.auth.oidc !== undefined;
}

/**
 * Combinations refused at startup (exit code 2), issue #5: an HTTP server reachable from other
 * machines never runs without authentication by accident.
 */
function checkHttpSecurity(config: Config): void {
  const { http } = config;
  if (http.tls && (!http.tls.certFile || !http.tls.keyFile)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  if (http.auth.tokens.some((t) => t.includes(':')))
    throw new ConfigError('AUTH_TOKENS holds plain tokens only; name principals and groups in --auth-tokens-file (token:principal:group,group)');
  if (http.metricsPort !== undefined && http.metricsPort !== 0 && http.metricsPort === http.port)
    throw new ConfigError('--metrics-port must differ from --port');
  if (config.transport !== 'http') return;
  if (http.auth.impersonate && !authConfigured(http))
    throw new ConfigError('--impersonate needs authentication: set AUTH_TOKENS, --auth-tokens-file or --oidc-issuer, so there is a principal to impersonate');
  if (!authConfigured(http) && !isLoopbackHost(http.host) && !http.auth.insecureNoAuth)
    throw new ConfigError(
      `refusing to serve HTTP on ${http.host} without authentication: anyone who can reach it could operate your databases. ` +
        'Set AUTH_TOKENS, --auth-tokens-file or --oidc-issuer/--oidc-audience, bind to 127.0.0.1, or pass --insecure-no-auth if something in front of this server authenticates.',
    );
}

export function helpText(): string {
  const groups: Record<OptionSpec['group'], string> = {
    general: 'General',
    kubernetes: 'Kubernetes',
    safety: 'Safety modes',
    http: 'HTTP transport',
    auth: 'HTTP authentication (see SECURITY.md)',
    limits: 'HTTP limits',
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
    for (const [name, spec] of Object.entries(ENV_ONLY)) {
      if (spec.group === group) lines.push(`  ${`env ${name}`.padEnd(34)} ${spec.help} (environment only: a flag would show it in the process list)`);
    }
  }
  return lines.join('\n');
}
