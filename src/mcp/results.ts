// Tool outcomes → MCP CallToolResult: bounded text for people plus structuredContent.
import type { CallToolResult } from '@modelcontextprotocol/server';

export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = `\n\n[truncated: showing ${maxChars} of ${text.length} characters; narrow the request (namespace, label selector, tail, limit) to see the rest]`;
  return text.slice(0, Math.max(0, maxChars - note.length)) + note;
}

export function successResult(text: string, data: Record<string, unknown>, maxChars: number, asJson: boolean): CallToolResult {
  const body = asJson ? JSON.stringify(data, null, 2) : withDryRunChanges(text, data);
  return { content: [{ type: 'text', text: truncate(body, maxChars) }], structuredContent: data };
}

export function errorResult(text: string, maxChars: number): CallToolResult {
  return { content: [{ type: 'text', text: truncate(text, maxChars) }], isError: true };
}

/**
 * A dry run's text carries what would be sent (the manifest of a create, the merge patch of a
 * change), so the person approving reads what would happen, not only "Would create …" (issue #13).
 */
function withDryRunChanges(text: string, data: Record<string, unknown>): string {
  if (data.dry_run !== true || !data.changes || typeof data.changes !== 'object') return text;
  return `${text}\n\nWhat would be sent to the API server (server-side dry run; nothing was stored):\n${JSON.stringify(data.changes, null, 2)}`;
}
