// Destructive calls ask the user first where the client can be asked (form elicitation,
// issue #15). The one place this happens: callTool runs it before every handler.
//  - dry_run=true changes nothing: never asked.
//  - the tool's own `confirm_…` argument set to true is the user's confirmation already (the
//    model was told to ask): not asked again.
//  - a client that declared elicitation.form on a 2025-era session is asked; accept with
//    confirm=true proceeds (and sets the tool's confirm_… argument), anything else changes nothing.
//  - any other client (no elicitation, or a session-less 2026 request, whose SDK answers push
//    requests with an error) is not asked: the tool's confirm_… argument works exactly as before.
import type { ClientCapabilities, ElicitResult, ServerContext } from '@modelcontextprotocol/server';
import { confirmationOf } from '../kit/confirmation.js';
import type { ToolDef } from '../kit/tool.js';

/** A person reads and decides: longer than the SDK's 60 s request default, bounded all the same. */
const CONFIRM_TIMEOUT_MS = 5 * 60_000;

export type Verdict = { proceed: true } | { proceed: false; reason: string };

/** Arguments that say what the call acts on, shown to the user; the rest is how, not what. */
const NOT_SHOWN = new Set(['namespace', 'name', 'dry_run', 'format', 'wait', 'timeout']);

/** The client side of one session, as far as confirmation needs it. */
export interface ConfirmingSession {
  clientCapabilities(): ClientCapabilities | undefined;
}

export async function confirmDestructive(
  tool: ToolDef,
  input: Record<string, unknown>,
  namespace: string,
  session: ConfirmingSession | undefined,
  ctx: ServerContext,
): Promise<Verdict> {
  const confirmation = confirmationOf(tool);
  if (!confirmation || input.dry_run === true) return { proceed: true };
  if (confirmation.argument && input[confirmation.argument] === true) return { proceed: true };
  // A 2026-era request carries its envelope: no server→client request is possible there.
  if (ctx.mcpReq.envelope !== undefined || !session?.clientCapabilities()?.elicitation?.form) return { proceed: true };
  const message = whatWillHappen(tool, input, namespace);
  let answer: ElicitResult;
  try {
    // Through the request's own send, so the question travels with this call (on Streamable
    // HTTP, the POST's stream) rather than on a GET stream the client may not have opened.
    answer = await ctx.mcpReq.send(
      {
        method: 'elicitation/create',
        params: {
          mode: 'form',
          message,
          requestedSchema: {
            type: 'object',
            properties: { confirm: { type: 'boolean', title: 'Proceed', description: `Yes: ${tool.title.toLowerCase()} now`, default: false } },
            required: ['confirm'],
          },
        },
      },
      { signal: ctx.mcpReq.signal, timeout: CONFIRM_TIMEOUT_MS },
    );
  } catch (err) {
    return { proceed: false, reason: `the confirmation request failed (${(err as Error).message})` };
  }
  if (answer.action === 'accept' && answer.content?.confirm === true) {
    if (confirmation.argument) input[confirmation.argument] = true;
    return { proceed: true };
  }
  const said = answer.action === 'accept' ? 'did not confirm' : answer.action === 'decline' ? 'declined' : 'cancelled';
  return { proceed: false, reason: `the user ${said} the confirmation` };
}

/** "Delete a cluster app/pg-main (instances=pg-main-2): Deletes a Cluster; …" — the first sentence of the description says what it does. */
function whatWillHappen(tool: ToolDef, input: Record<string, unknown>, namespace: string): string {
  const target = typeof input.name === 'string' ? ` ${namespace}/${input.name}` : ` in ${namespace}`;
  const how = Object.entries(input)
    .filter(([k, v]) => !NOT_SHOWN.has(k) && !k.startsWith('confirm_') && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const effect = tool.description.split(/(?<=\.)\s/)[0] ?? tool.description;
  return `${tool.title}${target}${how.length ? ` (${how.join(', ')})` : ''}?\n${effect}\nNothing happens unless you confirm.`;
}
