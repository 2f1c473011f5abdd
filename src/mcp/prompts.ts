// Prompts that walk a model through procedures an experienced operator follows.
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

const target = z.object({
  name: z.string().describe('Cluster name'),
  namespace: z.string().optional().describe('Namespace (server default when omitted)'),
});

const user = (text: string) => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] });

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'diagnose_cluster',
    { title: 'Diagnose an unhealthy cluster', description: 'Step-by-step diagnosis of a CloudNativePG cluster that is not healthy', argsSchema: target },
    ({ name, namespace }) =>
      user(
        [
          `Diagnose the CloudNativePG cluster "${name}"${namespace ? ` in namespace "${namespace}"` : ''}. Change nothing without asking me.`,
          '1. get_cluster_status with detail_level=detailed: note phase, phase reason, ready/total instances, primary, conditions.',
          '2. get_cluster_events with warnings_only=true: look for scheduling, volume, image pull or probe failures.',
          '3. If instances exist, get_cluster_logs (tail_lines=200) and look for FATAL/PANIC lines, replication or WAL archiving errors.',
          '4. list_postgres_backups: is the last backup recent and completed?',
          '5. Summarise the most likely cause, the evidence, and the smallest safe fix; propose it with dry_run=true first.',
        ].join('\n'),
      ),
  );
  server.registerPrompt(
    'plan_switchover',
    { title: 'Plan a switchover', description: 'Plan and perform a controlled switchover to another instance', argsSchema: target },
    ({ name, namespace }) =>
      user(
        [
          `Plan a switchover for the CloudNativePG cluster "${name}"${namespace ? ` in namespace "${namespace}"` : ''}.`,
          '1. get_cluster_status detailed: the cluster must be healthy, with every instance ready; name the current primary.',
          '2. Pick the replica to promote (a ready, streaming replica); explain the choice.',
          '3. Warn me that writes pause briefly while the primary changes, and ask for confirmation.',
          '4. After I confirm: promote_cluster_instance with dry_run=true, then for real.',
          '5. Poll get_cluster_status until the phase is healthy again and currentPrimary is the new instance; report the outcome.',
        ].join('\n'),
      ),
  );
}
