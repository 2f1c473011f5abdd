// Prompts that walk a model through procedures an experienced operator follows.
import { ProtocolError, ProtocolErrorCode, type GetPromptResult } from '@modelcontextprotocol/server';

const TARGET_ARGS = [
  { name: 'name', description: 'Cluster name', required: true },
  { name: 'namespace', description: 'Namespace (server default when omitted)', required: false },
];

const PROMPTS: Record<string, { title: string; description: string; steps: (where: string) => string[] }> = {
  diagnose_cluster: {
    title: 'Diagnose an unhealthy cluster',
    description: 'Step-by-step diagnosis of a CloudNativePG cluster that is not healthy',
    steps: (where) => [
      `Diagnose the CloudNativePG cluster ${where}. Change nothing without asking me.`,
      '1. get_cluster_status with detail_level=detailed: note phase, phase reason, ready/total instances, primary, conditions.',
      '2. get_cluster_events with warnings_only=true: look for scheduling, volume, image pull or probe failures.',
      '3. If instances exist, get_cluster_logs (tail_lines=200) and look for FATAL/PANIC lines, replication or WAL archiving errors.',
      '4. get_replication_status: is every standby streaming, how far behind (bytes, seconds), and does a slot retain much WAL or show wal_status lost?',
      '5. list_postgres_backups: is the last backup recent and completed?',
      '6. Summarise the most likely cause, the evidence, and the smallest safe fix; propose it with dry_run=true first.',
    ],
  },
  plan_switchover: {
    title: 'Plan a switchover',
    description: 'Plan and perform a controlled switchover to another instance',
    steps: (where) => [
      `Plan a switchover for the CloudNativePG cluster ${where}.`,
      '1. get_cluster_status detailed: the cluster must be healthy, with every instance ready; name the current primary.',
      '2. Pick the replica to promote (a ready, streaming replica); explain the choice.',
      '3. Warn me that writes pause briefly while the primary changes, and ask for confirmation.',
      '4. After I confirm: promote_cluster_instance with dry_run=true, then for real.',
      '5. Poll get_cluster_status until the phase is healthy again and currentPrimary is the new instance; report the outcome.',
    ],
  },
};

export const PROMPT_LIST = {
  prompts: Object.entries(PROMPTS).map(([name, p]) => ({ name, title: p.title, description: p.description, arguments: TARGET_ARGS })),
};

export function getPrompt(name: string, args: Record<string, string> = {}): GetPromptResult {
  const prompt = PROMPTS[name];
  if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name} not found`);
  if (!args.name) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name} needs the argument "name"`);
  const where = `"${args.name}"${args.namespace ? ` in namespace "${args.namespace}"` : ''}`;
  return { messages: [{ role: 'user', content: { type: 'text', text: prompt.steps(where).join('\n') } }] };
}
