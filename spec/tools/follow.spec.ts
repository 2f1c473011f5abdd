// wait=true on operations (issue #15): when a cluster counts as settled, and what the answer says
// when the wait ends before the operator does. The watch itself runs in e2e/postgres.e2e.ts
// (promote_cluster_instance with wait, on running pods).
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cnpg/types.js';
import { followSentence, settled } from '../../src/tools/follow.js';

const cluster = (phase: string, ready: number, instances = 2): Cluster => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'pg' },
  spec: { instances },
  status: { phase, readyInstances: ready },
});

describe('settled', () => {
  it('only healthy with every instance ready', () => {
    expect(settled(cluster('Cluster in healthy state', 2))).toBe(true);
    expect(settled(cluster('Cluster in healthy state', 1))).toBe(false);
    expect(settled(cluster('Switchover in progress', 2))).toBe(false);
  });
});

describe('followSentence', () => {
  it('done: what happened and how long it took', () => {
    expect(
      followSentence(
        { complete: true, waited_seconds: 14, phase: 'Cluster in healthy state', current_primary: 'pg-2', ready_instances: 2, instances: 2 },
        'pg-2 is the primary',
      ),
    ).toBe(' pg-2 is the primary after 14s.');
  });
  it('not done: where it stood, and not to repeat the call', () => {
    const text = followSentence(
      { complete: false, waited_seconds: 300, phase: 'Switchover in progress', current_primary: 'pg-1', ready_instances: 1, instances: 2 },
      'unused',
    );
    expect(text).toMatch(/Not finished after 300s \(Switchover in progress; primary pg-1; 1\/2 ready\)/);
    expect(text).toMatch(/Do not repeat the call/);
  });
  it('no wait asked: points at get_cluster_status', () => {
    expect(followSentence(undefined, 'unused')).toMatch(/get_cluster_status/);
  });
});
