// get_replication_status (issue #15): streaming standbys with their lag in bytes and time, and
// the replication slots, from PostgreSQL itself: fixed statements (src/sql/replication.ts) run on
// the current primary through pod exec and psql, read-only, as pg_monitor. Not behind --allow-sql
// (no caller's SQL runs). pods/exec is a strong permission (any command in any pod), which the
// chart grants only with sql.enabled; where it is refused, the same two views are read from the
// primary's instance manager (/pg/status through pods/proxy, which every mode has: it queries
// them from PostgreSQL too, probes.go), and `source` says which answered.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KubeError } from '../cnpg/errors.js';
import { lsnBytes, readPgStatuses, type PgStatus } from '../cnpg/instance-status.js';
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
    .exec(ctx.namespace, pod, 'postgres', podCommand(inv), { maxBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS + 10_000, signal: ctx.signal });
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

const isForbidden = (err: unknown) => err instanceof KubeError && err.kind === 'forbidden';

/** "00:00:01.5" (PostgreSQL's interval text) → 1.5; undefined for any other form. */
function intervalSeconds(v: string | undefined): number | null {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(v ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

const diff = (from: bigint | undefined, lsn: string | undefined) => {
  const at = lsnBytes(lsn);
  return from !== undefined && at !== undefined ? Number(from - at) : null;
};

/** The same rows from the instance manager's status of the primary, when exec is refused. */
async function fromInstanceManager(ctx: ToolContext, cluster: Cluster, primary: string) {
  const answer = (await readPgStatuses(ctx.cnpg(), cluster)).find((a) => a.pod.metadata?.name === primary);
  if (!answer?.status)
    throw new ToolError(
      `pods/exec is refused and the instance manager of ${primary} gave no status${typeof answer?.error === 'string' ? `: ${answer.error}` : ''}`,
      'Grant pods/exec create (the chart does with sql.enabled=true), or retry once the primary runs.',
    );
  const s: PgStatus = answer.status;
  const current = lsnBytes(s.currentLsn);
  const standbys = (s.replicationInfo ?? []).map((r) => ({
    application_name: r.applicationName ?? '',
    state: r.state || null,
    sync_state: r.syncState || null,
    sent_lsn: r.receivedLsn || null,
    replay_lsn: r.replayLsn || null,
    send_lag_bytes: diff(current, r.receivedLsn),
    replay_lag_bytes: diff(current, r.replayLsn),
    write_lag_seconds: intervalSeconds(r.writeLag),
    flush_lag_seconds: intervalSeconds(r.flushLag),
    replay_lag_seconds: intervalSeconds(r.replayLag),
  }));
  const slots = (s.replicationSlotsInfo ?? []).map((r) => ({
    slot_name: r.slotName ?? '',
    slot_type: r.slotType || null,
    active: r.active ?? false,
    restart_lsn: r.restartLsn || null,
    confirmed_flush_lsn: null,
    wal_status: r.walStatus || null,
    retained_bytes: diff(current, r.restartLsn),
  }));
  return { standbys, slots };
}

const num = (v: number | null, unit: string) => (v === null ? '-' : `${v}${unit}`);

export const getReplicationStatus = defineTool({
  name: 'get_replication_status',
  title: 'Get replication status',
  description:
    "The primary's streaming standbys (pg_stat_replication) with lag in bytes and seconds, and its replication slots with the WAL they retain: psql through pod exec as pg_monitor, read-only, or the instance manager when exec is refused.",
  input: z.object({ name: s.clusterName, namespace: s.namespace }),
  output: z.object({
    name: z.string(),
    namespace: z.string(),
    primary: z.string(),
    source: z.enum(['psql', 'instance_manager']).describe('instance_manager: pods/exec refused, read from /pg/status.'),
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
    let source: 'psql' | 'instance_manager' = 'psql';
    let typedStandbys: z.infer<typeof standbyShape>[];
    let typedSlots: z.infer<typeof slotShape>[];
    try {
      const [standbys, slots] = await Promise.all([rowsOf(ctx, primary, STANDBYS), rowsOf(ctx, primary, SLOTS)]);
      typedStandbys = standbys as z.infer<typeof standbyShape>[];
      typedSlots = slots as z.infer<typeof slotShape>[];
    } catch (err) {
      if (!isForbidden(err)) throw err;
      source = 'instance_manager';
      ({ standbys: typedStandbys, slots: typedSlots } = await fromInstanceManager(ctx, cluster, primary));
    }
    const instances = cluster.spec?.instances ?? 0;
    const via = source === 'psql' ? 'psql' : 'its instance manager (pods/exec refused)';
    const lines = [
      `Primary ${primary} of ${namespace}/${input.name}, asked through ${via}: ${typedStandbys.length} standby(s) connected of ${Math.max(0, instances - 1)} expected.`,
    ];
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
    return { text: lines.join('\n'), data: { name: input.name, namespace, primary, source, standbys: typedStandbys, slots: typedSlots, instances } };
  },
});

export const replicationTools = [getReplicationStatus];
