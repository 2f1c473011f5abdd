// The per-instance status of get_cluster_status (issue #15), derived the way kubectl cnpg status
// derives it (internal/cmd/plugin/status/status.go in the operator) from each instance manager's
// /pg/status answer. The answers below use the operator's JSON field names (pkg/postgres/status.go);
// e2e/postgres.e2e.ts reads real ones through the pods proxy.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeInstances, instanceTableRows, lsnBytes, statusScheme, walArchivingLine, type PgStatus } from '../../src/cnpg/instance-status.js';
import { KubeError } from '../../src/cnpg/errors.js';
import type { Cluster } from '../../src/cnpg/types.js';

const cluster = (annotations: Record<string, string> = {}): Cluster => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'pg', namespace: 'ns', annotations },
});
const pod = (name: string, ready = true, command: string[] = ['/controller/manager', 'instance', 'run']): V1Pod => ({
  metadata: { name, namespace: 'ns', labels: { 'cnpg.io/instanceRole': name === 'pg-1' ? 'primary' : 'replica' } },
  spec: { nodeName: 'node-a', containers: [{ name: 'postgres', command }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const primary: PgStatus = {
  isPrimary: true,
  currentLsn: '0/3000100',
  timeLineID: 2,
  isArchivingWAL: true,
  lastArchivedWAL: '000000020000000000000002',
  lastArchivedWALTime: '2026-01-01T10:00:00Z',
  readyWalFiles: 1,
  pendingRestart: true,
  instanceManagerVersion: '1.30.0',
  replicationInfo: [
    { applicationName: 'pg-2', state: 'streaming', syncState: 'async', replayLsn: '0/3000000', replayLag: '00:00:00.002' },
    { applicationName: 'pg-3', state: 'streaming', syncState: 'quorum', replayLsn: '0/3000100' },
  ],
};
const standby = (replayLsn: string, extra: PgStatus = {}): PgStatus => ({ isPrimary: false, isWalReceiverActive: true, replayLsn, timeLineID: 2, ...extra });

describe('describeInstances', () => {
  it('roles, timelines, LSNs, replication state and lag in bytes, pending restart', () => {
    const report = describeInstances(cluster(), [
      { pod: pod('pg-2'), status: standby('0/3000000') },
      { pod: pod('pg-1'), status: primary },
      { pod: pod('pg-3'), status: standby('0/3000100') },
    ]);
    expect(report.instances.map((i) => [i.instance, i.role, i.timeline, i.lsn, i.pending_restart])).toEqual([
      ['pg-1', 'Primary', 2, '0/3000100', true],
      ['pg-2', 'Standby (async)', 2, '0/3000000', false],
      ['pg-3', 'Standby (sync)', 2, '0/3000100', false],
    ]);
    expect(report.instances[0]!.replication).toBeUndefined();
    expect(report.instances[1]!.replication).toEqual({
      state: 'streaming',
      sync_state: 'async',
      lag_bytes: 256,
      replay_lag: '00:00:00.002',
      write_lag: undefined,
      flush_lag: undefined,
    });
    expect(report.instances[2]!.replication?.lag_bytes).toBe(0);
    const table = instanceTableRows(report);
    expect(table.rows[1]).toEqual(['pg-2', 'Standby (async)', 'yes', '2', '0/3000000', 'streaming async', '256 B, replay 00:00:00.002', 'no', 'node-a']);
  });

  it('fenced, paused, file based and starting-up standbys are named as kubectl cnpg status names them', () => {
    const report = describeInstances(cluster(), [
      { pod: pod('pg-1'), status: primary },
      { pod: pod('pg-2'), status: standby('0/1', { mightBeUnavailable: true }) },
      { pod: pod('pg-3'), status: standby('0/1', { replayPaused: true }) },
      { pod: pod('pg-4'), status: standby('0/1', { isWalReceiverActive: false }) },
      { pod: pod('pg-5', false), status: standby('0/1', { isWalReceiverActive: false }) },
    ]);
    expect(report.instances.map((i) => i.role)).toEqual(['Primary', 'Fenced', 'Standby (paused)', 'Standby (file based)', 'Standby (starting up)']);
  });

  it('an instance that does not answer says why, and the others still report', () => {
    const report = describeInstances(cluster(), [
      { pod: pod('pg-1'), status: primary },
      { pod: pod('pg-2', false), error: new KubeError('forbidden', 'pods "pg-2" is forbidden', 403) },
      { pod: pod('pg-3', false), error: new KubeError('other', 'service unavailable', 503) },
      { pod: pod('pg-4', false), error: 'the pod is Pending, so its instance manager cannot answer' },
    ]);
    const [first, forbidden, unavailable, pending] = report.instances;
    expect(first!.role).toBe('Primary');
    expect(forbidden!.error).toMatch(/pods\/proxy \(RBAC\)/);
    expect(unavailable!.error).toMatch(/HTTP 503/);
    expect(pending!.error).toMatch(/Pending/);
    expect(instanceTableRows(report).rows[1]![7]).toBe('?');
  });

  it('no primary answered: the primary is named from its label, WAL archiving is unknown', () => {
    const report = describeInstances(cluster(), [{ pod: pod('pg-1'), error: new KubeError('timeout', 'no answer in time') }]);
    expect(report.instances[0]!.role).toBe('Primary (from its label)');
    expect(report.instances[0]!.error).toMatch(/did not answer within/);
    expect(report.wal_archiving).toEqual({ status: 'No primary answered' });
    expect(walArchivingLine(report.wal_archiving)).toMatch(/unknown/);
  });

  it('WAL archiving: OK, Failing, Starting up, and Disabled by the skipWalArchiving annotation', () => {
    const of = (s: PgStatus, c = cluster()) => describeInstances(c, [{ pod: pod('pg-1'), status: s }]).wal_archiving.status;
    expect(of(primary)).toBe('OK');
    expect(of({ ...primary, isArchivingWAL: false, lastFailedWAL: '000000020000000000000003' })).toBe('Failing');
    expect(of({ ...primary, isArchivingWAL: false })).toBe('Starting up');
    expect(of(primary, cluster({ 'cnpg.io/skipWalArchiving': 'enabled' }))).toBe('Disabled');
    expect(walArchivingLine(describeInstances(cluster(), [{ pod: pod('pg-1'), status: primary }]).wal_archiving)).toBe(
      'WAL archiving: OK; WALs waiting: 1; last archived: 000000020000000000000002 at 2026-01-01T10:00:00Z; last failed: -',
    );
  });
});

describe('helpers', () => {
  it('lsnBytes reads X/Y LSNs, nothing else', () => {
    expect(lsnBytes('0/3000100')).toBe(0x3000100n);
    expect(lsnBytes('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(lsnBytes('')).toBeUndefined();
    expect(lsnBytes('not-an-lsn')).toBeUndefined();
  });

  it('statusScheme: https only when the instance manager runs with --status-port-tls', () => {
    expect(statusScheme(pod('pg-1'))).toBe('http');
    expect(statusScheme(pod('pg-1', true, ['/controller/manager', 'instance', 'run', '--status-port-tls']))).toBe('https');
  });
});
