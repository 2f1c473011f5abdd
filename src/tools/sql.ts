// query_postgres (issue #15): one read-only SQL statement on an instance, through pod exec and
// psql over the instance's unix socket (no network path to the database needed). Registered only
// with --allow-sql. The read-only layers: src/sql/guard.ts (one reading statement, parsed by the
// real PostgreSQL parser) and src/sql/psql.ts (read-only session and transaction, a
// non-superuser role, timeouts, a row cap); the byte cap is src/cnpg/exec.ts's.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Cluster } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { READ_ONLY, defineTool } from '../kit/tool.js';
import { checkStatement, SqlRefused } from '../sql/guard.js';
import { podCommand, psqlInvocation, QUERY_ROLES, readCsv } from '../sql/psql.js';
import { formatTable } from './table.js';
import * as s from './schemas.js';

/** The most psql output read from the pod; past it the rows are cut and the answer says so. */
const MAX_OUTPUT_BYTES = 1_000_000;
/** Longest cell shown in the text table (the structured rows carry the whole value). */
const CELL_CHARS = 200;

export const queryPostgres = defineTool({
  name: 'query_postgres',
  title: 'Query PostgreSQL',
  description:
    'Runs ONE read-only statement (SELECT, EXPLAIN of a SELECT, SHOW) on the primary or a named instance through pod exec and psql: read-only transaction, non-superuser role, statement timeout, row and byte caps. Writes, several statements and side-effect functions are refused. Returns a table and the rows.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    sql: z.string().min(1).max(100_000).describe('One statement, e.g. "SELECT datname, pg_database_size(datname) FROM pg_database".'),
    instance: s.k8sName.optional().describe('Instance (pod), e.g. pg-2; the primary when omitted.'),
    database: s.pgIdentifier.optional().describe("Database; the cluster's application database when omitted."),
    max_rows: z.number().int().min(1).max(10_000).default(100).describe('More are cut, and the answer says so.'),
    timeout_seconds: z.number().int().min(1).max(300).default(30).describe('statement_timeout, in seconds.'),
    as_role: z
      .enum(QUERY_ROLES)
      .default('pg_read_all_data')
      .describe('Predefined role the query runs as: pg_read_all_data reads every table (PostgreSQL 14+); pg_monitor sees every session and statistic.'),
  }),
  output: z.object({
    name: z.string(),
    namespace: z.string(),
    instance: z.string(),
    primary: z.boolean(),
    database: z.string(),
    statement: z.enum(['select', 'explain', 'show']),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.string().nullable())).describe('Values as PostgreSQL prints them; null for SQL NULL.'),
    row_count: z.number(),
    truncated: z.boolean(),
    truncated_by: z.enum(['max_rows', 'max_bytes']).optional(),
  }),
  annotations: { ...READ_ONLY, idempotentHint: false },
  requires: 'allow-sql',
  async handler(input, ctx) {
    const { namespace } = ctx;
    // Refused text changes nothing and needs no cluster: checked before any Kubernetes call.
    const statement = await checkStatement(input.sql).catch((err: unknown) => {
      if (err instanceof SqlRefused)
        throw new ToolError(`the SQL was refused: ${err.message}`, 'Send one SELECT, EXPLAIN SELECT or SHOW statement; nothing was run.');
      throw err;
    });
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name);
    const pods = await ctx.cnpg().listPods(namespace, `cnpg.io/cluster=${input.name},cnpg.io/podRole=instance`);
    const names = pods.map((p) => p.metadata?.name ?? '').sort();
    const primary = cluster.status?.currentPrimary;
    const target = input.instance ?? primary;
    if (!target)
      throw new ToolError(`${namespace}/${input.name} has no primary yet`, 'Wait until get_cluster_status shows a current primary, or name an instance.');
    const pod = pods.find((p) => p.metadata?.name === target);
    if (!pod)
      throw new ToolError(
        `${target} is not an instance of ${namespace}/${input.name}`,
        names.length ? `Its instances: ${names.join(', ')}.` : 'It has no instance pods yet.',
      );
    if (pod.status?.phase !== 'Running')
      throw new ToolError(`instance ${target} is not running (pod phase ${pod.status?.phase ?? 'unknown'})`, 'Pick a running instance, or wait for it.');

    const database = input.database ?? cluster.spec?.bootstrap?.initdb?.database ?? 'app';
    const nullMarker = `null-${randomBytes(12).toString('hex')}`;
    const invocation = psqlInvocation(statement, {
      database,
      role: input.as_role,
      timeoutMs: input.timeout_seconds * 1000,
      maxRows: input.max_rows,
      nullMarker,
    });
    const result = await ctx.cnpg().exec(namespace, target, 'postgres', podCommand(invocation), {
      maxBytes: MAX_OUTPUT_BYTES,
      // The statement's own timeout ends it; this one ends a stuck connection.
      timeoutMs: input.timeout_seconds * 1000 + 20_000,
      signal: ctx.signal,
    });
    if (ctx.signal.aborted) throw new ToolError('the request was cancelled; the statement ran read-only and was rolled back');
    if (result.timedOut) throw new ToolError(`psql in ${target} did not finish within ${input.timeout_seconds + 20}s`);
    if (!result.truncated && result.exitCode !== 0)
      throw new ToolError(
        `PostgreSQL on ${target} answered: ${psqlError(result.stderr)}`,
        'Nothing was changed: the statement ran in a read-only transaction that was rolled back.',
      );

    const table = readCsv(result.stdout, nullMarker);
    const overRows = table.rows.length > input.max_rows;
    const rows = table.rows.slice(0, input.max_rows);
    const truncated_by = result.truncated ? ('max_bytes' as const) : overRows ? ('max_rows' as const) : undefined;
    const note =
      truncated_by === 'max_rows'
        ? `\n(more than ${input.max_rows} rows: only the first ${input.max_rows} are shown; raise max_rows or narrow the query)`
        : truncated_by === 'max_bytes'
          ? `\n(output cut at ${MAX_OUTPUT_BYTES} bytes after ${rows.length} rows; select fewer or smaller columns)`
          : '';
    const where = `${target}${target === primary ? ' (primary)' : ' (replica)'}, database ${database}`;
    return {
      text: `${rows.length} row(s) from ${where}:\n${formatTable(table.columns, rows, CELL_CHARS)}${note}`,
      data: {
        name: input.name,
        namespace,
        instance: target,
        primary: target === primary,
        database,
        statement: statement.kind,
        columns: table.columns,
        rows,
        row_count: rows.length,
        truncated: truncated_by !== undefined,
        truncated_by,
      },
    };
  },
});

/** psql's error lines without its "psql:" location prefix; the first few lines are enough. */
export function psqlError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^psql:(<stdin>|[^:]*):\d+: /, '').trimEnd())
    .filter(Boolean);
  return lines.slice(0, 6).join('\n') || 'psql failed without a message';
}

export const sqlTools = [queryPostgres];
