// The fixed statements get_replication_status runs on the primary (issue #15). They are this
// server's own text, never a caller's, so they skip the guard: they still run through psqlInvocation,
// read-only, as pg_monitor (which may read every column of pg_stat_replication), with a timeout.
import type { CheckedStatement } from './guard.js';

/** One row per standby streaming (or catching up) from this server: pg_stat_replication. */
export const STANDBYS: CheckedStatement = {
  kind: 'select',
  text: `SELECT application_name, state, sync_state, sent_lsn::text AS sent_lsn, replay_lsn::text AS replay_lsn,
  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), sent_lsn)::bigint AS send_lag_bytes,
  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn)::bigint AS replay_lag_bytes,
  EXTRACT(EPOCH FROM write_lag)::float8 AS write_lag_seconds,
  EXTRACT(EPOCH FROM flush_lag)::float8 AS flush_lag_seconds,
  EXTRACT(EPOCH FROM replay_lag)::float8 AS replay_lag_seconds
FROM pg_catalog.pg_stat_replication ORDER BY application_name`,
};

/** Every replication slot, with the WAL it keeps: pg_replication_slots. */
export const SLOTS: CheckedStatement = {
  kind: 'select',
  text: `SELECT slot_name, slot_type, active, restart_lsn::text AS restart_lsn,
  confirmed_flush_lsn::text AS confirmed_flush_lsn, wal_status,
  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes
FROM pg_catalog.pg_replication_slots ORDER BY slot_name`,
};
