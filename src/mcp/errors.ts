// Errors a tool reports to the client: what failed, why, and what to do next.
import { KubeError, type KubeErrorKind } from '../cnpg/errors.js';
import { ToolError } from '../kit/tool-error.js';

export { ToolError };

const HINTS: Record<KubeErrorKind, string> = {
  unauthorized: 'The Kubernetes API rejected the credentials: check the kubeconfig user or the ServiceAccount token.',
  forbidden: "The server's Kubernetes identity lacks RBAC permission for this action: grant it in a Role, or ask a cluster admin.",
  not_found: 'It does not exist in that namespace: use the matching list_ tool to see what exists, and check the namespace.',
  conflict: 'The object changed or already exists: read it again and retry, or pick another name.',
  invalid: 'The Kubernetes API rejected a field (named above): correct that value and retry.',
  unreachable: 'Check that the cluster is running and that the kubeconfig (KUBECONFIG, --kubeconfig, --context) points at it.',
  not_configured: 'Start the server with a kubeconfig (KUBECONFIG, --kubeconfig) or inside a pod with a ServiceAccount.',
  timeout: 'The operation may still complete: check it later with get_cluster_status.',
  other: 'Retry; if it persists, check the server log.',
};

/** What a status code means, for answers that came without a Status body. */
const MEANINGS: Record<KubeErrorKind, string> = {
  unauthorized: 'the Kubernetes API server did not accept the credentials',
  forbidden: 'the Kubernetes API server refused the request',
  not_found: 'not found',
  conflict: 'the object changed meanwhile or already exists',
  invalid: 'the Kubernetes API server rejected the request as invalid',
  unreachable: 'the Kubernetes API server did not answer',
  not_configured: 'no Kubernetes cluster is configured',
  timeout: 'the request timed out',
  other: 'the Kubernetes API server answered with an error',
};

/** Turns any failure into the text of an isError result. Never includes a stack. */
export function describeError(err: unknown, action: string): string {
  if (err instanceof ToolError) return [`Cannot ${action}: ${err.message}`, err.hint].filter(Boolean).join('\n');
  if (err instanceof KubeError) {
    const fields = err.causes.filter((c) => c.field || c.message).map((c) => `- ${c.field ?? '(object)'}: ${c.message ?? c.reason ?? ''}`);
    const status = err.status ? ` (HTTP ${err.status})` : '';
    // With no Status body the message is only "HTTP <code>": say what the code means instead of repeating it.
    const said = err.status && err.message === `HTTP ${err.status}` ? MEANINGS[err.kind] : err.message;
    // An unreachable server's message already says what to check (src/cnpg/client.ts).
    const hint = err.kind === 'unreachable' && err.networkReason ? undefined : HINTS[err.kind];
    return [`Cannot ${action}${status}: ${said}`, ...fields, hint].filter(Boolean).join('\n');
  }
  // Unexpected bugs: a fixed message, details stay in the server log.
  return `Cannot ${action}: an internal error occurred. ${HINTS.other}`;
}
