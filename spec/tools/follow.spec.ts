// wait=true on operations (issue #15): when a cluster counts as settled, and what the answer says
// when the wait ends before the operator does. The watch itself runs in e2e/postgres.e2e.ts
// (promote_cluster_instance with wait, on running pods) and e2e/operations.e2e.ts (every other operation).
import { describe, expect, it } from 'vitest';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../src/cnpg/types.js';
import type { ToolContext } from '../../src/kit/tool.js';
import { followSentence, settled } from '../../src/tools/follow.js';
import { destroyedEnd, fencingEnd, instanceCountEnd } from '../../src/tools/operation-ends.js';

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

describe('where operations end, on the Cluster alone', () => {
  const withStatus = (status: Record<string, unknown>, instances = 2, annotations: Record<string, string> = {}): Cluster => ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg', namespace: 'ns', annotations },
    spec: { instances },
    status,
  });
  const healthy = 'Cluster in healthy state';

  it('a scale down is not done while the old pods are still counted (ready >= spec is not enough)', () => {
    const end = instanceCountEnd({} as ToolContext, 2);
    expect(end.cluster(withStatus({ phase: healthy, instances: 3, readyInstances: 3 }))).toBe(false);
    expect(end.cluster(withStatus({ phase: healthy, instances: 2, readyInstances: 2 }))).toBe(true);
    expect(end.cluster(withStatus({ phase: 'Creating a new replica', instances: 2, readyInstances: 2 }))).toBe(false);
  });

  it('unfencing is done once the annotation no longer names the instance and every instance is ready', () => {
    const ctx = {} as ToolContext; // the unfence end asks nothing but the Cluster
    const end = fencingEnd(ctx, 'unfence', ['pg-2']);
    expect(end.probe).toBeUndefined();
    expect(end.cluster(withStatus({ phase: healthy, readyInstances: 2 }, 2, { 'cnpg.io/fencedInstances': '["pg-2"]' }))).toBe(false);
    expect(end.cluster(withStatus({ phase: healthy, readyInstances: 1 }))).toBe(false);
    expect(end.cluster(withStatus({ phase: healthy, readyInstances: 2 }))).toBe(true);
    expect(fencingEnd(ctx, 'unfence', ['pg-2']).cluster(withStatus({ phase: healthy, readyInstances: 2 }, 2, { 'cnpg.io/fencedInstances': '["*"]' }))).toBe(
      false,
    );
  });

  it('fencing waits for the annotation before it asks the pods', () => {
    const end = fencingEnd({} as ToolContext, 'fence', ['pg-2']);
    expect(end.cluster(withStatus({ phase: healthy, readyInstances: 2 }))).toBe(false);
    expect(end.cluster(withStatus({ phase: healthy, readyInstances: 2 }, 2, { 'cnpg.io/fencedInstances': '["pg-2"]' }))).toBe(true);
    expect(end.probe).toBeTypeOf('function');
  });
});

describe('followSentence with what was awaited', () => {
  it('names it', () => {
    const text = followSentence(
      { complete: false, waited_seconds: 5, phase: healthy(), ready_instances: 2, instances: 3, waiting_for: 'pg-2 to restart and be ready' },
      'unused',
    );
    expect(text).toMatch(/waiting for pg-2 to restart and be ready\)/);
  });
});

function healthy() {
  return 'Cluster in healthy state';
}

describe('where a destroyed instance ends, asking the pods', () => {
  const pod = (name: string, uid: string, isReady = true): V1Pod => ({
    metadata: { name, uid },
    status: { conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }] },
  });
  // The Cluster still reads as before the delete: healthy, 2 of 2 (the operator has not looked yet).
  const stale: Cluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg', namespace: 'ns' },
    spec: { instances: 2 },
    status: { phase: 'Cluster in healthy state', instances: 2, readyInstances: 2 },
  };
  const contextWith = (pods: V1Pod[], claims: V1PersistentVolumeClaim[] = []) =>
    ({ cnpg: () => ({ listPods: async () => pods, listPvcs: async () => claims }) }) as unknown as ToolContext;

  it('is not done while the replacement pod is missing, even with the old pod and volume gone', async () => {
    const end = destroyedEnd(contextWith([pod('pg-1', 'u1')]), 'old-uid', ['old-claim']);
    expect(end.cluster(stale)).toBe(true);
    expect(await end.probe!(stale)).toBe('2 ready instance pod(s), 1 now');
  });
  it('is not done while the replacement is not ready, nor while the old pod is there', async () => {
    expect(await destroyedEnd(contextWith([pod('pg-1', 'u1'), pod('pg-2', 'new', false)]), 'old-uid', []).probe!(stale)).toBe('2 ready instance pod(s), 2 now');
    expect(await destroyedEnd(contextWith([pod('pg-1', 'u1'), pod('pg-2', 'old-uid')]), 'old-uid', []).probe!(stale)).toBe('the old pod to go');
  });
  it('is done with a new pod of that name (another uid), ready, and the old volume gone', async () => {
    const end = destroyedEnd(contextWith([pod('pg-1', 'u1'), pod('pg-2', 'new')], [{ metadata: { name: 'pg-2', uid: 'new-claim' } }]), 'old-uid', [
      'old-claim',
    ]);
    expect(await end.probe!(stale)).toBeUndefined();
  });
});
