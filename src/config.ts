// One typed, validated Config: the only reader of process.env and command-line flags.
// Every option is one row of SETTINGS: its flag, environment variable, default, help, the zod
// schema that validates it and the place in Config it lands on. Parsing, the environment
// fallback, --help and the Config type all come from that table; adding an option is adding a row.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isLoopbackHost } from './loopback.js';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

type Group = 'general' | 'kubernetes' | 'safety' | 'http' | 'auth' | 'limits';

/** One option. */
interface Setting {
  /** Command-line flag without its dashes; absent for a setting read from the environment only. */
  flag?: string;
  env?: string;
  /** string unless said: 'boolean' is a switch (env 1/true/yes/on), 'list' comma-separated values. */
  type?: 'boolean' | 'list';
  /** What an unset option means, as the user would write it (shown in --help, then validated). */
  default?: string;
  group: Group;
  help: string;
  /**
   * Where the validated value lands in Config, as a dotted path (several: it lands on each).
   * `name?.` marks a section that exists only when one of its `opens` settings is given.
   */
  to: string | readonly string[];
  schema: z.ZodType;
  /** Giving this setting (a non-empty value) creates its `?` section; otherwise the section is undefined. */
  opens?: true;
}

/** A flag that prints something and exits instead of configuring a run. */
interface Command {
  flag: string;
  type: 'boolean';
  group: Group;
  help: string;
  env?: never;
  default?: never;
}

const rfc1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * Every option, in --help order within its group. A new option is one row here: the Config type,
 * the flag, the environment fallback and its --help line follow from it.
 */
export const SETTINGS = [
  {
    flag: 'transport',
    env: 'CNPG_MCP_TRANSPORT',
    default: 'stdio',
    group: 'general',
    to: 'transport',
    schema: z.enum(['stdio', 'http']),
    help: 'stdio (default) or http',
  },
  {
    flag: 'max-response-chars',
    env: 'CNPG_MCP_MAX_RESPONSE_CHARS',
    default: '25000',
    group: 'general',
    to: 'maxResponseChars',
    schema: intIn(1000, 1_000_000),
    help: 'longest text a tool returns; longer results are truncated with a note',
  },
  {
    flag: 'log-level',
    env: 'CNPG_MCP_LOG_LEVEL',
    default: 'info',
    group: 'general',
    to: 'logLevel',
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    help: 'debug, info, warn or error (logs go to stderr)',
  },
  { flag: 'help', type: 'boolean', group: 'general', help: 'print this help and exit' },
  { flag: 'version', type: 'boolean', group: 'general', help: 'print the version and exit' },
  {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    group: 'kubernetes',
    to: 'kubeconfig',
    schema: z.string().optional(),
    help: 'kubeconfig file; default ~/.kube/config, or in-cluster config when running in a pod',
  },
  {
    flag: 'context',
    env: 'CNPG_MCP_CONTEXT',
    group: 'kubernetes',
    to: 'context',
    schema: z.string().optional(),
    help: 'kubeconfig context to use (default: current context)',
  },
  {
    flag: 'namespace',
    env: 'CNPG_MCP_NAMESPACE',
    group: 'kubernetes',
    to: 'namespace',
    schema: z.string().regex(rfc1123, 'must be a valid namespace name').optional(),
    help: "default namespace for tools (default: the context's namespace, else 'default')",
  },
  {
    flag: 'watch-cache',
    env: 'CNPG_MCP_WATCH_CACHE',
    default: 'on',
    group: 'kubernetes',
    to: 'watchCache',
    schema: z.enum(['on', 'off']).transform((v) => v === 'on'),
    help: 'on: serve reads of CNPG objects from a shared watch-fed cache; off: read the API every time',
  },
  {
    flag: 'impersonate',
    env: 'CNPG_MCP_IMPERSONATE',
    type: 'boolean',
    group: 'kubernetes',
    // Also under http.auth: the HTTP layer sees only config.http.
    to: ['impersonate', 'http.auth.impersonate'],
    schema: z.boolean(),
    help: "act as each authenticated principal via Kubernetes impersonation (the server's identity needs the impersonate verb); disables the shared cache",
  },
  {
    flag: 'read-only',
    env: 'CNPG_MCP_READ_ONLY',
    type: 'boolean',
    group: 'safety',
    to: 'readOnly',
    schema: z.boolean(),
    help: 'register only read-only tools',
  },
  {
    flag: 'read-only-credentials',
    env: 'CNPG_MCP_READ_ONLY_CREDENTIALS',
    type: 'boolean',
    group: 'safety',
    to: 'readOnlyCredentials',
    schema: z.boolean(),
    help: 'with --read-only, still let get_connection_info include_credentials=true return passwords',
  },
  {
    flag: 'disable-destructive',
    env: 'CNPG_MCP_DISABLE_DESTRUCTIVE',
    type: 'boolean',
    group: 'safety',
    to: 'disableDestructive',
    schema: z.boolean(),
    help: 'do not register destructive tools (delete, restart, hibernate, fence, …)',
  },
  {
    flag: 'allow-sql',
    env: 'CNPG_MCP_ALLOW_SQL',
    type: 'boolean',
    group: 'safety',
    to: 'allowSql',
    schema: z.boolean(),
    help: 'register query_postgres: one read-only SQL statement on an instance through pod exec (needs pods/exec create)',
  },
  {
    flag: 'namespaces',
    env: 'CNPG_MCP_NAMESPACES',
    type: 'list',
    group: 'safety',
    to: 'namespaces',
    schema: z.array(z.string().regex(rfc1123, 'each entry must be a valid namespace name')),
    help: 'comma-separated allowlist; every other namespace is refused',
  },
  {
    flag: 'host',
    env: 'CNPG_MCP_HOST',
    default: '127.0.0.1',
    group: 'http',
    to: 'http.host',
    schema: z.string().min(1),
    help: 'address to bind (http transport); 0.0.0.0 only when asked',
  },
  {
    flag: 'port',
    env: 'CNPG_MCP_PORT',
    default: '3000',
    group: 'http',
    to: 'http.port',
    schema: intIn(0, 65535),
    help: 'port to listen on (http transport); 0 picks a free one',
  },
  {
    flag: 'max-sessions',
    env: 'CNPG_MCP_MAX_SESSIONS',
    default: '1000',
    group: 'http',
    to: 'http.maxSessions',
    schema: intIn(1, 1_000_000),
    help: 'open sessions allowed at once; more get 503',
  },
  {
    flag: 'session-idle-timeout',
    env: 'CNPG_MCP_SESSION_IDLE_TIMEOUT',
    default: '1800',
    group: 'http',
    to: 'http.sessionIdleTimeoutSec',
    schema: intIn(1, 86_400),
    help: 'seconds before an idle session is closed',
  },
  {
    flag: 'body-limit',
    env: 'CNPG_MCP_BODY_LIMIT',
    default: '1mb',
    group: 'http',
    to: 'http.bodyLimit',
    schema: z.string().regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb'),
    help: 'largest request body accepted (413 beyond)',
  },
  {
    flag: 'keepalive-interval',
    env: 'CNPG_MCP_KEEPALIVE_INTERVAL',
    default: '25',
    group: 'http',
    to: 'http.keepaliveIntervalSec',
    schema: intIn(1, 3600),
    help: 'seconds between keep-alive comments on open streams',
  },
  {
    flag: 'shutdown-timeout',
    env: 'CNPG_MCP_SHUTDOWN_TIMEOUT',
    default: '20',
    group: 'http',
    to: 'http.shutdownTimeoutSec',
    schema: intIn(0, 600),
    help: 'seconds in-flight calls get to finish on SIGTERM',
  },
  {
    flag: 'headers-timeout',
    env: 'CNPG_MCP_HEADERS_TIMEOUT',
    default: '10',
    group: 'http',
    to: 'http.headersTimeoutSec',
    schema: intIn(1, 600),
    help: 'seconds a client gets to send its request headers; slower connections are cut (slowloris)',
  },
  // '' for the half not given, so that checkHttpSecurity() refuses it with a message naming both flags.
  {
    flag: 'tls-cert',
    env: 'CNPG_MCP_TLS_CERT',
    group: 'http',
    to: 'http.tls?.certFile',
    opens: true,
    schema: z.string().default(''),
    help: 'PEM certificate (chain) to serve HTTPS with; reloaded when the file changes',
  },
  {
    flag: 'tls-key',
    env: 'CNPG_MCP_TLS_KEY',
    group: 'http',
    to: 'http.tls?.keyFile',
    opens: true,
    schema: z.string().default(''),
    help: 'PEM private key of --tls-cert; reloaded when the file changes',
  },
  {
    flag: 'metrics-port',
    env: 'CNPG_MCP_METRICS_PORT',
    group: 'http',
    to: 'http.metricsPort',
    schema: intIn(0, 65535).optional(),
    help: 'serve /metrics without auth on this port (same host) instead of behind auth on the main port',
  },
  {
    flag: 'allowed-hosts',
    env: 'CNPG_MCP_ALLOWED_HOSTS',
    type: 'list',
    group: 'http',
    to: 'http.allowedHosts',
    // None listed: undefined, which the Host guard reads as its default.
    schema: z.array(z.string().min(1)).transform((hosts) => (hosts.length > 0 ? hosts.map((h) => h.toLowerCase()) : undefined)),
    help: 'comma-separated Host names accepted (DNS-rebinding defence); default: loopback names on a loopback bind, any otherwise',
  },
  {
    flag: 'cors-origins',
    env: 'CNPG_MCP_CORS_ORIGINS',
    type: 'list',
    group: 'http',
    to: 'http.corsOrigins',
    // Normalized to what a browser sends in Origin (lowercase host, no default port, no slash).
    schema: z.array(
      z
        .string()
        .refine(isOrigin, 'each entry must be an origin like https://app.example.com (scheme, host, optional port; no path, no *)')
        .transform((v) => new URL(v).origin),
    ),
    help: 'comma-separated browser origins (https://app.example.com) allowed to call the server; default: none (CORS off)',
  },
  {
    flag: 'trust-proxy',
    env: 'CNPG_MCP_TRUST_PROXY',
    group: 'http',
    to: 'http.trustProxy',
    schema: z.string().optional(),
    help: "reverse proxies whose X-Forwarded-For is believed for the client address: a hop count or addresses/CIDRs ('loopback, 10.0.0.0/8')",
  },
  {
    flag: 'audit-log',
    env: 'CNPG_MCP_AUDIT_LOG',
    group: 'http',
    to: 'http.auditLog',
    schema: z.string().min(1).optional(),
    help: 'append the audit log (one JSON line per MCP request and per refusal) to this file; default: stdout, apart from the logs on stderr',
  },
  {
    flag: 'auth-tokens-file',
    env: 'CNPG_MCP_AUTH_TOKENS_FILE',
    group: 'auth',
    to: 'http.auth.tokensFile',
    schema: z.string().min(1).optional(),
    help: "bearer tokens, one per line ('token[:principal[:group,group]]', '#' comments), e.g. a mounted Secret; re-read when it changes",
  },
  {
    flag: 'oidc-issuer',
    env: 'CNPG_MCP_OIDC_ISSUER',
    group: 'auth',
    to: 'http.auth.oidc?.issuer',
    opens: true,
    schema: httpUrl,
    help: 'accept JWTs from this OpenID Connect issuer (keys from its discovery document)',
  },
  {
    flag: 'oidc-audience',
    env: 'CNPG_MCP_OIDC_AUDIENCE',
    type: 'list',
    group: 'auth',
    to: 'http.auth.oidc?.audience',
    schema: z.array(z.string().min(1)).min(1, '--oidc-audience is required with --oidc-issuer'),
    help: "comma-separated audiences a JWT's aud must name (required with --oidc-issuer)",
  },
  {
    flag: 'oidc-jwks-uri',
    env: 'CNPG_MCP_OIDC_JWKS_URI',
    group: 'auth',
    to: 'http.auth.oidc?.jwksUri',
    schema: httpUrl.optional(),
    help: "JWKS URL; default: the jwks_uri of the issuer's /.well-known/openid-configuration",
  },
  {
    flag: 'oidc-groups-claim',
    env: 'CNPG_MCP_OIDC_GROUPS_CLAIM',
    default: 'groups',
    group: 'auth',
    to: 'http.auth.oidc?.groupsClaim',
    schema: z.string().min(1),
    help: 'JWT claim holding the groups (a dotted path like realm_access.roles works)',
  },
  {
    flag: 'resource-url',
    env: 'CNPG_MCP_RESOURCE_URL',
    group: 'auth',
    to: 'http.auth.resourceUrl',
    schema: httpUrl.optional(),
    help: 'public URL of this server: enables RFC 9728 metadata at /.well-known/oauth-protected-resource',
  },
  {
    flag: 'allow-query-token',
    env: 'CNPG_MCP_ALLOW_QUERY_TOKEN',
    type: 'boolean',
    group: 'auth',
    to: 'http.auth.allowQueryToken',
    schema: z.boolean(),
    help: 'accept ?token= for clients that cannot set headers (EventSource); off: a request carrying one is refused',
  },
  {
    flag: 'insecure-no-auth',
    env: 'CNPG_MCP_INSECURE_NO_AUTH',
    type: 'boolean',
    group: 'auth',
    to: 'http.auth.insecureNoAuth',
    schema: z.boolean(),
    help: 'allow serving HTTP on a non-loopback address without authentication (never in production)',
  },
  // No flag on purpose: a flag's value is visible to every user of the machine in the process
  // list, an environment variable is not.
  {
    env: 'AUTH_TOKENS',
    type: 'list',
    group: 'auth',
    to: 'http.auth.tokens',
    schema: z.array(z.string()),
    help: 'comma-separated bearer tokens (plain tokens; name principals in --auth-tokens-file)',
  },
  {
    flag: 'rate-limit-per-minute',
    env: 'CNPG_MCP_RATE_LIMIT_PER_MINUTE',
    default: '600',
    group: 'limits',
    to: 'http.rateLimitPerMinute',
    schema: intIn(0, 1_000_000),
    help: 'HTTP requests one principal may make per minute (429 beyond); 0: no limit',
  },
  {
    flag: 'auth-failures-per-minute',
    env: 'CNPG_MCP_AUTH_FAILURES_PER_MINUTE',
    default: '10',
    group: 'limits',
    to: 'http.authFailuresPerMinute',
    schema: intIn(1, 10_000),
    help: 'failed authentications one client address may make per minute before it is blocked for a minute',
  },
  {
    flag: 'redis-url',
    env: 'CNPG_MCP_REDIS_URL',
    group: 'limits',
    to: 'http.redisUrl',
    schema: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
      .optional(),
    help: 'redis:// or rediss:// URL: share the rate limits across replicas and relay session traffic to the replica holding the session (default: per process)',
  },
  {
    flag: 'max-sessions-per-principal',
    env: 'CNPG_MCP_MAX_SESSIONS_PER_PRINCIPAL',
    default: '50',
    group: 'limits',
    to: 'http.maxSessionsPerPrincipal',
    schema: intIn(0, 1_000_000),
    help: 'open sessions one principal may hold (429 beyond); 0: no limit',
  },
  {
    flag: 'max-concurrent-calls',
    env: 'CNPG_MCP_MAX_CONCURRENT_CALLS',
    default: '64',
    group: 'limits',
    to: 'http.maxConcurrentCalls',
    schema: intIn(0, 100_000),
    help: 'tool calls running at once in this process (503 beyond); 0: no limit',
  },
] as const satisfies readonly (Setting | Command)[];

type Row = (typeof SETTINGS)[number];

/** The rows that have a flag, by flag name (what the specs and the chart check flags against). */
export const OPTIONS = Object.fromEntries(SETTINGS.flatMap((row) => ('flag' in row ? [[row.flag, row]] : []))) as {
  [R in Row as R extends { flag: infer F extends string } ? F : never]: R;
};

// The Config type, built from the rows: each row's schema output, nested at its `to` path.
type At<Path extends string, Value> = Path extends `${infer Head}.${infer Rest}`
  ? Head extends `${infer Section}?`
    ? { [K in Section]?: At<Rest, Value> }
    : { [K in Head]: At<Rest, Value> }
  : undefined extends Value
    ? { [K in Path]?: Value }
    : { [K in Path]: Value };
type Landing<R> = R extends { to: infer To; schema: infer S extends z.ZodType }
  ? At<To extends readonly (infer Each extends string)[] ? Each : To & string, z.output<S>>
  : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** Spells an intersection of nested objects out as one object (what editors then show). */
type Flat<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

export type Config = Flat<Intersection<Landing<Row>>>;
/** The HTTP transport's settings: what the app, the guards and the sessions are built from. */
export type HttpConfig = Config['http'];
export type ParsedCommand = { kind: 'run'; config: Config } | { kind: 'help'; text: string } | { kind: 'version'; text: string };

export class ConfigError extends Error {}

const settingRows: readonly Setting[] = SETTINGS.filter((row): row is Extract<Row, { to: unknown }> => 'to' in row);
const pathsOf = (setting: Setting): readonly string[] => (typeof setting.to === 'string' ? [setting.to] : setting.to);

/** The zod schema of Config: the rows' schemas as nested objects, `?` sections optional. */
const ConfigSchema = (() => {
  interface Node {
    [segment: string]: Node | z.ZodType;
  }
  const root: Node = {};
  for (const setting of settingRows) {
    for (const path of pathsOf(setting)) {
      const segments = path.split('.');
      const leaf = segments.pop()!;
      let node = root;
      for (const segment of segments) node = childOf(node, segment) as Node;
      node[leaf] = setting.schema;
    }
  }
  const objectOf = (node: Node): z.ZodType =>
    z.object(
      Object.fromEntries(
        Object.entries(node).map(([segment, child]) => {
          if (child instanceof z.ZodType) return [segment, child];
          return segment.endsWith('?') ? [segment.slice(0, -1), objectOf(child).optional()] : [segment, objectOf(child)];
        }),
      ),
    );
  return objectOf(root) as z.ZodType<Config>;
})();

const csv = (s: string | undefined) =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean) ?? [];

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** Parses flags (which win) and environment variables (the fallback) into a validated Config. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries(
    (Object.values(OPTIONS) as (Setting | Command)[]).map((row) => [row.flag, { type: row.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
  );
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false }).values as typeof flags;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  if (flags.help) return { kind: 'help', text: helpText() };
  if (flags.version) return { kind: 'version', text: `${SERVER_NAME} ${SERVER_VERSION}` };

  /** What the user gave (the flag, else a non-empty environment variable), else the row's default. */
  const given = (setting: Setting): string | boolean | undefined => {
    const flag = setting.flag === undefined ? undefined : flags[setting.flag];
    if (flag !== undefined) return flag;
    const fromEnv = setting.env ? env[setting.env] : undefined;
    if (setting.type === 'boolean') return truthy(fromEnv);
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : setting.default;
  };
  const values = new Map(settingRows.map((setting) => [setting, given(setting)]));
  const openSections = new Set(
    settingRows
      .filter((setting) => setting.opens && values.get(setting) !== undefined && values.get(setting) !== '')
      .flatMap((setting) => pathsOf(setting).map(sectionOf)),
  );

  const raw: Record<string, unknown> = {};
  for (const setting of settingRows) {
    const value = values.get(setting);
    for (const path of pathsOf(setting)) {
      const section = sectionOf(path);
      if (section !== undefined && !openSections.has(section)) continue;
      setAt(raw, path.replaceAll('?', '').split('.'), setting.type === 'list' ? csv(value as string | undefined) : value);
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  checkHttpSecurity(parsed.data);
  return { kind: 'run', config: parsed.data };
}

/** The `?` section a path lies in ('http.tls?' of 'http.tls?.certFile'), if any. */
function sectionOf(path: string): string | undefined {
  const mark = path.indexOf('?');
  return mark === -1 ? undefined : path.slice(0, mark + 1);
}

function setAt(target: Record<string, unknown>, segments: string[], value: unknown): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (rest.length === 0) target[head] = value;
  else setAt(childOf(target, head) as Record<string, unknown>, rest, value);
}

/** The object under `key` in `parent`, created empty when missing. */
function childOf(parent: Record<string, unknown>, key: string): unknown {
  if (parent[key] === undefined) parent[key] = {};
  return parent[key];
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
  const groups: Record<Group, string> = {
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
    for (const row of SETTINGS as readonly (Setting | Command)[]) {
      if (row.group !== group) continue;
      if (row.flag === undefined) {
        lines.push(`  ${`env ${row.env}`.padEnd(34)} ${row.help} (environment only: a flag would show it in the process list)`);
        continue;
      }
      const flag = row.type === 'boolean' ? `--${row.flag}` : `--${row.flag} <value>`;
      const extra = [row.env ? `env ${row.env}` : '', row.default ? `default ${row.default}` : ''].filter(Boolean).join(', ');
      lines.push(`  ${flag.padEnd(34)} ${row.help}${extra ? ` (${extra})` : ''}`);
    }
  }
  return lines.join('\n');
}
