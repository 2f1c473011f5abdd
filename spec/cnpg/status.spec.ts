// Issue #12, item 9: the operator's status.readService names the -r Service (any instance),
// which get_cluster_status detail_level=detailed used to report as the read-only one.
import { describe, expect, it } from 'vitest';
import { summariseCluster } from '../../src/cnpg/status.js';
import type { Cluster } from '../../src/cnpg/types.js';

// The status fields as operator 1.30 writes them (internal/controller/cluster_status.go).
const cluster: Cluster = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'pg', namespace: 'ns' },
  spec: { instances: 2 },
  status: { writeService: 'pg-rw', readService: 'pg-r', phase: 'Setting up primary' },
};

describe('services in the detailed summary', () => {
  it('reads status.readService as the -r Service and names -ro as the read-only one', () => {
    expect(summariseCluster(cluster, 'detailed').services).toEqual({ read_write: 'pg-rw', read_only: 'pg-ro', read: 'pg-r' });
  });

  it('falls back to the operator naming when the status has no services yet', () => {
    const fresh = { ...cluster, status: {} };
    expect(summariseCluster(fresh, 'detailed').services).toEqual({ read_write: 'pg-rw', read_only: 'pg-ro', read: 'pg-r' });
  });
});
