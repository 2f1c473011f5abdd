// What the answers of a POST said, noted where the transport produces them (it holds the message
// objects already: nothing is parsed again), for the audit line. The HTTP status of a tools/call
// is 200 whether the tool succeeded or not; the outcome is in the answer (issue #12, item 20).
//
// One mechanism for every transport: the transport notes each answer on the response of the POST
// that carried its request. Where that answer comes after the response has ended — a legacy SSE
// POST is answered 202 and its answer goes out on the stream; a relayed one travels back from
// the replica that ran it — the transport says it awaits one (awaitAnswer), and the audit line
// waits until it is noted or known never to come (outcome 'unanswered').
import type { ServerResponse } from 'node:http';

/** What one answer said: worse ones win when a batch carries several. */
export type AnswerOutcome = 'ok' | 'tool_error' | 'rpc_error';
/** An answer that was awaited and never came (the session ended first). */
export type NotedOutcome = AnswerOutcome | 'unanswered';

const RANK: Record<NotedOutcome, number> = { ok: 0, tool_error: 1, rpc_error: 2, unanswered: 3 };

// Keyed by the response: a relayed request's response is an object of its own.
const outcomes = new WeakMap<ServerResponse, NotedOutcome>();
const awaited = new WeakMap<ServerResponse, { done: Promise<void>; resolve: () => void }>();

/** What the JSON-RPC response `message` says. */
export function outcomeOfAnswer(message: unknown): AnswerOutcome {
  const answer = message as { error?: unknown; result?: { isError?: unknown } };
  return answer.error !== undefined ? 'rpc_error' : answer.result?.isError === true ? 'tool_error' : 'ok';
}

/** Notes the answer `message` (a JSON-RPC response) to a request that came on `res`. */
export function noteAnswer(res: ServerResponse, message: unknown): void {
  noteOutcome(res, outcomeOfAnswer(message));
}

/** Notes an outcome learnt otherwise (from the replica that ran the request, or 'unanswered'). */
export function noteOutcome(res: ServerResponse, outcome: NotedOutcome): void {
  const before = outcomes.get(res);
  if (before === undefined || RANK[outcome] > RANK[before]) outcomes.set(res, outcome);
  stopAwaiting(res);
}

/** The answer to the request on `res` will be noted after `res` has ended (unless it already was). */
export function awaitAnswer(res: ServerResponse): void {
  if (outcomes.has(res) || awaited.has(res)) return;
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  awaited.set(res, { done, resolve });
}

/** No answer will be noted on `res`, and none is missing: the transport answered it itself (an HTTP error). */
export function stopAwaiting(res: ServerResponse): void {
  const waiting = awaited.get(res);
  if (!waiting) return;
  awaited.delete(res);
  waiting.resolve();
}

/** Settles once the awaited answer of `res` is noted; undefined when none is awaited. */
export function answerAwaited(res: ServerResponse): Promise<void> | undefined {
  return awaited.get(res)?.done;
}

/** The worst answer noted on `res`; undefined when the transport noted none. */
export function answerOutcome(res: ServerResponse): NotedOutcome | undefined {
  return outcomes.get(res);
}
