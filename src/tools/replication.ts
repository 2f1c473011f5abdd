// get_replication_status (issue #15): streaming standbys with their lag in bytes and time, and
// the replication slots, from PostgreSQL itself: fixed statements (src/sql/replication.ts) run on
// the current primary through pod exec and psql, read-only, as pg_monitor. Not behind --allow-sql
// (no caller's SQL runs), but it needs `create` on pods/exec, which the chart grants only with
// sql.enabled: without it the answer says so (docs/cnpg-facts.md).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KubeError } from '../cnpg/errors.js';
import type { Cluster } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { READ_ONLY, defineTool, type ToolContext } from '../kit/tool.js';
import type { CheckedStatement } from '../sql/guard.js';
import { podCommand, psqlInvocation, readCsv } from '../sql/psql.js';
import { SLOTS, STANDBYS } from '../sql/replication.js';
import { psqlError } from './sql.js';
import { formatTable } from './table.js';
import * as s from './schemas.js';

const TIMEOUT_MS = 10_000;
const MAX_BYTES = 256_000;
const MAX_ROWS = 500;

// Columns as pg_stat_replication and pg_replication_slots name them; lags against pg_current_wal_lsn().
const text = z.string().nullable();
const number = z.number().nullable();
const standbyShape = z.object({
  application_name: z.string(),
  state: text,
  sync_state: text,
  sent_lsn: text,
  replay_lsn: text,
  send_lag_bytes: number,
  replay_lag_bytes: number,
  write_lag_seconds: number,
  flush_lag_seconds: number,
  replay_lag_seconds: number.describe('null when idle and caught up.'),
});
const slotShape = z.object({
  slot_name: z.string(),
  slot_type: text,
  active: z.boolean().nullable(),
  restart_lsn: text,
  confirmed_flush_lsn: text,
  wal_status: text,
  retained_bytes: number,
});

const NUMBERS = new Set(['send_lag_bytes', 'replay_lag_bytes', 'write_lag_seconds', 'flush_lag_seconds', 'replay_lag_seconds', 'retained_bytes']);
const BOOLEANS = new Set(['active']);

/** One fixed statement on `pod`, its rows as objects with numbers and booleans typed. */
async function rowsOf(ctx: ToolContext, pod: string, statement: CheckedStatement): Promise<Record<string, unknown>[]> {
  const nullMarker = `null-${randomBytes(12).toString('hex')}`;
  const inv = psqlInvocation(statement, { database: 'postgres', role: 'pg_monitor', timeoutMs: TIMEOUT_MS, maxRows: MAX_ROWS, nullMarker });
  const result = await ctx
    .cnpg()
    .exec(ctx.namespace, pod, 'postgres', podCommand(inv), { maxBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS + 10_000, signal: ctx.signal })
    .catch((err: unknown) => {
      if (err instanceof KubeError && err.kind === 'forbidden')
        throw new ToolError(
          "the server's identity may not create pods/exec, which get_replication_status needs to ask PostgreSQL",
          'Grant pods/exec create (the chart does with sql.enabled=true), or read the replication rows of get_cluster_status detailed.',
        );
      throw err;
    });
  if (result.timedOut || result.exitCode !== 0)
    throw new ToolError(`PostgreSQL on ${pod} answered: ${result.timedOut ? 'no answer in time' : psqlError(result.stderr)}`);
  const table = readCsv(result.stdout, nullMarker);
  return table.rows.map((row) =>
    Object.fromEntries(
      table.columns.map((col, i) => {
        const v = row[i] ?? null;
        if (v === null) return [col, null];
        if (NUMBERS.has(col)) return [col, Number(v)];
        if (BOOLEANS.has(col)) return [col, v === 't'];
        return [col, v];
      }),
    ),
  );
}

const num = (v: number | null, unit: string) => (v === null ? '-' : `${v}${unit}`);

export const getReplicationStatus = defineTool({
  name: 'get_replication_status',
  title: 'Get replication status',
  description:
    'Asks the primary PostgreSQL (pod exec and psql, read-only, as pg_monitor) for its streaming standbys (pg_stat_replication) with lag ' +
    'in bytes and seconds, and its replication slots (pg_replication_slots) with the WAL they retain. Needs pods/exec.',
  input: z.object({ name: s.clusterName, namespace: s.namespace }),
  output: z.object({
    name: z.string(),
    namespace: z.string(),
    primary: z.string(),
    standbys: z.array(standbyShape),
    slots: z.array(slotShape),
    instances: z.number().describe('spec.instances: healthy means instances - 1 standbys.'),
  }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name);
    const primary = cluster.status?.currentPrimary;
    if (!primary) throw new ToolError(`${namespace}/${input.name} has no primary yet`, 'Wait until get_cluster_status shows a current primary.');
    const [standbys, slots] = await Promise.all([rowsOf(ctx, primary, STANDBYS), rowsOf(ctx, primary, SLOTS)]);
    const typedStandbys = standbys as z.infer<typeof standbyShape>[];
    const typedSlots = slots as z.infer<typeof slotShape>[];
    const instances = cluster.spec?.instances ?? 0;
    const lines = [`Primary ${primary} of ${namespace}/${input.name}: ${typedStandbys.length} standby(s) connected of ${Math.max(0, instances - 1)} expected.`];
    if (typedStandbys.length)
      lines.push(
        formatTable(
          ['Standby', 'State', 'Sync', 'Replay LSN', 'Replay lag', 'Replay lag (time)', 'Send lag'],
          typedStandbys.map((r) => [
            r.application_name,
            r.state ?? '-',
            r.sync_state ?? '-',
            r.replay_lsn ?? '-',
            num(r.replay_lag_bytes, ' B'),
            num(r.replay_lag_seconds, ' s'),
            num(r.send_lag_bytes, ' B'),
          ]),
        ),
      );
    lines.push(typedSlots.length ? 'Replication slots:' : 'Replication slots: none');
    if (typedSlots.length)
      lines.push(
        formatTable(
          ['Slot', 'Type', 'Active', 'Restart LSN', 'WAL status', 'Retained'],
          typedSlots.map((r) => [
            r.slot_name,
            r.slot_type ?? '-',
            r.active ? 'yes' : 'no',
            r.restart_lsn ?? '-',
            r.wal_status ?? '-',
            num(r.retained_bytes, ' B'),
          ]),
        ),
      );
    return { text: lines.join('\n'), data: { name: input.name, namespace, primary, standbys: typedStandbys, slots: typedSlots, instances } };
  },
});

export const replicationTools = [getReplicationStatus];
