// wait=true on an operation (issue #15): follow the Cluster through the watch until the operator
// reports the operation finished, sending progress that only increases, and answer with what
// happened and how long it took. The deadline ends the wait, never the operation; so does a
// cancelled request (the watch stops, the operator goes on).
import { z } from 'zod';
import { HEALTHY_PHASE } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import type { ToolContext } from '../kit/tool.js';

export const followFields = {
  wait: z.boolean().default(false).describe('Follow the operator until the operation is complete, sending progress notifications meanwhile.'),
  timeout: z.number().int().min(5).max(1800).default(300).describe('Seconds to wait when wait=true.'),
};

export const followOutcome = z
  .object({
    complete: z.boolean().describe('false: the operation was requested but had not finished when the wait ended; do not repeat the call.'),
    waited_seconds: z.number(),
    phase: z.string(),
    current_primary: z.string().optional(),
    ready_instances: z.number(),
    instances: z.number(),
  })
  .optional()
  .describe('Present with wait=true.');

export type FollowReport = NonNullable<z.infer<typeof followOutcome>>;

/** Healthy with every instance ready: where each operation must end. */
export function settled(c: Cluster): boolean {
  return c.status?.phase === HEALTHY_PHASE && (c.status.readyInstances ?? 0) >= (c.spec?.instances ?? 0);
}

export async function followCluster(
  ctx: ToolContext,
  namespace: string,
  name: string,
  done: (c: Cluster) => boolean,
  timeoutSec: number,
): Promise<FollowReport> {
  const started = Date.now();
  let step = 0;
  let shown = '';
  const outcome = await ctx.cnpg().waitFor<Cluster, Cluster>('cluster', namespace, name, (c) => (done(c) ? c : undefined), {
    timeoutMs: timeoutSec * 1000,
    signal: ctx.signal,
    onChange: (c) => {
      const message = `${c.status?.phase ?? 'waiting for the operator'}; primary ${c.status?.currentPrimary ?? 'none'}; ${c.status?.readyInstances ?? 0}/${c.spec?.instances ?? 0} ready`;
      if (message === shown) return;
      shown = message;
      void ctx.progress(++step, undefined, message);
    },
  });
  const c = outcome.done ? outcome.value : outcome.last;
  return {
    complete: outcome.done,
    waited_seconds: Math.round((Date.now() - started) / 1000),
    phase: c.status?.phase ?? 'not reconciled yet',
    current_primary: c.status?.currentPrimary,
    ready_instances: c.status?.readyInstances ?? 0,
    instances: c.spec?.instances ?? 0,
  };
}

/** The sentence after an operation made with wait=true: done and how long, or where it stood. */
export function followSentence(report: FollowReport | undefined, finished: string): string {
  if (!report) return ' Follow it with get_cluster_status.';
  if (report.complete) return ` ${finished} after ${report.waited_seconds}s.`;
  return ` Not finished after ${report.waited_seconds}s (${report.phase}; primary ${report.current_primary ?? 'none'}; ${report.ready_instances}/${report.instances} ready): the operator is still working on it. Do not repeat the call; follow it with get_cluster_status.`;
}
