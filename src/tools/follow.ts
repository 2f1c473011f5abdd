// wait=true on an operation (issue #15): the one follower. It follows the Cluster through the
// watch until the operator reports the operation finished, and, where the Cluster alone cannot
// tell (a pod restarted, a fenced PostgreSQL stopped, a configuration loaded), polls a probe of
// the pods or instance managers while the Cluster is where it must be. Progress only increases;
// the answer says what happened and how long it took. The deadline ends the wait, never the
// operation; so does a cancelled request (the watch and the polling stop, the operator goes on).
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { KubeError } from '../cnpg/errors.js';
import { HEALTHY_PHASE } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import type { ToolContext } from '../kit/tool.js';

/** Between two probes of pods or instance managers: they have no watch here. */
const PROBE_INTERVAL_MS = 2_000;

export const followFields = {
  wait: z.boolean().default(false).describe('Follow to the end, with progress notifications.'),
  timeout: z.number().int().min(5).max(1800).default(300).describe('Seconds to wait.'),
};

export const followOutcome = z
  .object({
    complete: z.boolean().describe('false: not done when the wait ended; do not repeat the call.'),
    waited_seconds: z.number(),
    phase: z.string(),
    current_primary: z.string().optional(),
    ready_instances: z.number(),
    instances: z.number(),
    waiting_for: z.string().optional(),
  })
  .optional()
  .describe('With wait=true.');

export type FollowReport = NonNullable<z.infer<typeof followOutcome>>;

/** Where an operation ends. */
export interface OperationEnd {
  /** On every version of the Cluster the watch sees: true once the Cluster says it is there. */
  cluster: (c: Cluster) => boolean;
  /** What the Cluster cannot tell, asked once the Cluster is there: undefined when done, else what is awaited. */
  probe?: (c: Cluster) => Promise<string | undefined>;
}

/** Healthy with every instance ready: where each operation must end. */
export function settled(c: Cluster): boolean {
  return c.status?.phase === HEALTHY_PHASE && (c.status.readyInstances ?? 0) >= (c.spec?.instances ?? 0);
}

/** Follows the change to `end` when the call asked to (wait=true) and made one (not a dry run). */
export function followIfAsked(
  ctx: ToolContext,
  input: { name: string; wait: boolean; dry_run: boolean; timeout: number },
  end: OperationEnd | ((c: Cluster) => boolean),
): Promise<FollowReport | undefined> {
  return input.wait && !input.dry_run ? followCluster(ctx, ctx.namespace, input.name, end, input.timeout) : Promise.resolve(undefined);
}

const cancelled = () => new KubeError('timeout', 'the request was cancelled');

export async function followCluster(
  ctx: ToolContext,
  namespace: string,
  name: string,
  end: OperationEnd | ((c: Cluster) => boolean),
  timeoutSec: number,
): Promise<FollowReport> {
  const { cluster: there, probe } = typeof end === 'function' ? { cluster: end, probe: undefined } : end;
  const started = Date.now();
  const deadline = started + timeoutSec * 1000;
  let step = 0;
  let shown = '';
  const tell = (message: string) => {
    if (message === shown) return;
    shown = message;
    void ctx.progress(++step, undefined, message);
  };
  const where = (c: Cluster) =>
    `${c.status?.phase ?? 'waiting for the operator'}; primary ${c.status?.currentPrimary ?? 'none'}; ${c.status?.readyInstances ?? 0}/${c.spec?.instances ?? 0} ready`;
  const report = (complete: boolean, c: Cluster, waiting_for?: string): FollowReport => ({
    complete,
    waited_seconds: Math.round((Date.now() - started) / 1000),
    phase: c.status?.phase ?? 'not reconciled yet',
    current_primary: c.status?.currentPrimary,
    ready_instances: c.status?.readyInstances ?? 0,
    instances: c.spec?.instances ?? 0,
    waiting_for,
  });

  for (;;) {
    const outcome = await ctx.cnpg().waitFor<Cluster, Cluster>('cluster', namespace, name, (c) => (there(c) ? c : undefined), {
      timeoutMs: Math.max(0, deadline - Date.now()),
      signal: ctx.signal,
      onChange: (c) => tell(where(c)),
    });
    if (!outcome.done) return report(false, outcome.last, 'the cluster to be healthy with every instance ready');
    const waiting = probe ? await probe(outcome.value) : undefined;
    if (waiting === undefined) return report(true, outcome.value);
    tell(`${where(outcome.value)}; waiting for ${waiting}`);
    if (Date.now() + PROBE_INTERVAL_MS > deadline) return report(false, outcome.value, waiting);
    if (ctx.signal.aborted) throw cancelled();
    await sleep(PROBE_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => {
      throw cancelled();
    });
  }
}

/** The sentence after an operation made with wait=true: done and how long, or where it stood. */
export function followSentence(report: FollowReport | undefined, finished: string): string {
  if (!report) return ' Follow it with get_cluster_status.';
  if (report.complete) return ` ${finished} after ${report.waited_seconds}s.`;
  const awaited = report.waiting_for ? `; waiting for ${report.waiting_for}` : '';
  return ` Not finished after ${report.waited_seconds}s (${report.phase}; primary ${report.current_primary ?? 'none'}; ${report.ready_instances}/${report.instances} ready${awaited}): the operator is still working on it. Do not repeat the call; follow it with get_cluster_status.`;
}
