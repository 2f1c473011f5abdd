// What the answers of a POST said, noted where the transport produces them (it holds the message
// objects already: nothing is parsed again), for the audit line. The HTTP status of a tools/call
// is 200 whether the tool succeeded or not; the outcome is in the answer (issue #12, item 20).
import type { ServerResponse } from 'node:http';

/** What one answer said: worse ones win when a batch carries several. */
export type AnswerOutcome = 'ok' | 'tool_error' | 'rpc_error';

const RANK: Record<AnswerOutcome, number> = { ok: 0, tool_error: 1, rpc_error: 2 };

// Keyed by the response: a relayed request's response is an object of its own.
const outcomes = new WeakMap<ServerResponse, AnswerOutcome>();

/** Notes the answer `message` (a JSON-RPC response) that goes out on `res`. */
export function noteAnswer(res: ServerResponse, message: unknown): void {
  const answer = message as { error?: unknown; result?: { isError?: unknown } };
  const outcome: AnswerOutcome = answer.error !== undefined ? 'rpc_error' : answer.result?.isError === true ? 'tool_error' : 'ok';
  const before = outcomes.get(res);
  if (before === undefined || RANK[outcome] > RANK[before]) outcomes.set(res, outcome);
}

/** The worst answer noted on `res`; undefined when the transport noted none. */
export function answerOutcome(res: ServerResponse): AnswerOutcome | undefined {
  return outcomes.get(res);
}
