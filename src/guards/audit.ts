// The audit log: one JSON line per MCP request, and one per refusal (auth failure, rate limit,
// origin/host rejection), to stdout or appended to --audit-log FILE. Fields: SECURITY.md.
// It never holds a token: principals are named by token fingerprint or JWT `sub`, URLs are
// logged with `token=[redacted]`, and tool arguments whose key looks secret are redacted.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';
import { redactUrl } from './credentials.js';
import { answerAwaited, answerOutcome } from '../protocol/answer-note.js';
import { envelopeOf } from '../protocol/envelope.js';
import { transportOf } from '../protocol/routes.js';
import { notedSession } from '../protocol/session-note.js';
import { principalOf } from '../sessions/principal.js';

export type AuditSink = (line: string) => void;

export type AuditEvent =
  | { event: 'auth_failure'; reason: string }
  | { event: 'rate_limited'; scope: 'principal' | 'address'; retryAfterSec: number }
  | { event: 'origin_rejected'; reason: 'origin' | 'host'; origin?: string; host?: string };

const SECRET_KEY = /password|token|secret|key|credential/i;
const MAX_STRING = 1024;
const MAX_DEPTH = 8;

/**
 * Lines of one event-loop turn go out in one write: under load a write per request was a
 * measurable share of the per-call cost (docs/benchmarks.md). Nothing waits longer than the
 * current turn, and close() flushes.
 */
function batched(write: (text: string) => void): { push: AuditSink; flush: () => void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending.length) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  return {
    push: (line: string) => {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

export class AuditLog {
  private constructor(
    private readonly sink: AuditSink,
    private readonly closeSink: () => Promise<void>,
  ) {}

  /** To `file` (appended), or to stdout when none; `sink` (specs) wins over both. */
  static open(file: string | undefined, logger: Logger, sink?: AuditSink): AuditLog {
    if (sink) return new AuditLog(sink, async () => {});
    if (!file) {
      const out = batched((text) => void process.stdout.write(text));
      return new AuditLog(out.push, async () => out.flush());
    }
    // Opened now, synchronously: an audit log that cannot be written stops the start (exit 2)
    // instead of losing every line quietly.
    const stream: WriteStream = createWriteStream(file, { fd: openSync(file, 'a', 0o600) });
    stream.on('error', (err) => logger.error({ file, err: err.message }, 'cannot write the audit log'));
    const out = batched((text) => void stream.write(text));
    return new AuditLog(out.push, () => {
      out.flush();
      return new Promise((resolve) => stream.end(resolve));
    });
  }

  /** One line: `time` first, then the record's fields (those left undefined are omitted). */
  write(record: Record<string, unknown>): void {
    // Spliced rather than spread into a new object: this runs for every request.
    this.sink(`{"time":"${new Date().toISOString()}",${JSON.stringify(record).slice(1)}\n`);
  }

  /** A refusal by a guard, with what is known of the request at that point. */
  refusal(req: IncomingMessage, sourceIp: string, event: AuditEvent): void {
    const principal = principalOf(req);
    this.write({
      ...event,
      sourceIp,
      ...(principal ? { principal: principal.id, authMethod: principal.method } : {}),
      httpMethod: req.method,
      path: redactUrl((req as Partial<Request>).originalUrl ?? req.url ?? ''),
      transport: transportOf(req.url ?? ''),
    });
  }

  close(): Promise<void> {
    return this.closeSink();
  }
}

/** A copy of `value` in which every property whose name looks secret reads "[redacted]". */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[truncated]` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactArguments(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactArguments(v, depth + 1)]));
}

/**
 * The audit guard: for every MCP request that passed authentication, one line once the response
 * is over (for streams, when they end), with what the parsed JSON-RPC body says, and the outcome
 * its answer gave (protocol/answer-note.ts) — once that answer is known, for a POST answered
 * 202 whose answer goes out elsewhere. `durationMs` then runs until the answer.
 */
export function auditGuard(audit: AuditLog, clientIp: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    const transport = transportOf(req.path);
    if (transport === 'http') return next();
    const started = process.hrtime.bigint();
    const path = redactUrl(req.originalUrl);
    // on(), not once(): a response emits 'close' once, and once() adds a wrapper (~180 bytes) to
    // every response, which an idle stream keeps for as long as it stays open.
    res.on('close', () => {
      // A legacy SSE or relayed POST has ended before its answer: the line waits for what it said.
      const later = answerAwaited(res);
      if (later) void later.then(line);
      else line();
    });
    const line = () => {
      const principal = principalOf(req);
      const rpc = envelopeOf(req);
      // res.locals first: the transports note the session there, and req.query parses the URL anew on every read.
      const session = req.header('mcp-session-id') ?? notedSession(res) ?? stringOr(req.query.sessionId) ?? headerOr(res.getHeader('mcp-session-id'));
      audit.write({
        event: 'mcp_request',
        principal: principal?.id,
        user: principal?.name || undefined,
        authMethod: principal?.method,
        sourceIp: clientIp(req),
        transport,
        session,
        httpMethod: req.method,
        path,
        method: rpc.methods.length ? rpc.methods.join(',') : undefined,
        rpcId: rpc.onlyId,
        tool: rpc.toolCall?.name,
        arguments: rpc.toolCall ? redactArguments(rpc.toolCall.arguments) : undefined,
        status: res.statusCode,
        outcome: outcomeOf(res),
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      });
    };
    next();
  };
}

function outcomeOf(res: Response): string {
  const status = res.statusCode;
  // What the answers said, when the transport noted them: a tool that failed is answered 200.
  const answered = answerOutcome(res);
  // An awaited answer that never came: the session (or its replica) ended first.
  if (answered === 'unanswered') return 'closed';
  if (answered !== undefined && status < 300 && res.writableFinished) return answered;
  // A stream that ended without finishing its response: the client (or shutdown) closed it.
  if (!res.writableFinished && status < 300) return 'closed';
  if (status === 202) return 'accepted';
  if (status < 300) return 'ok';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'busy';
  if (status < 500) return 'refused';
  return 'error';
}

const stringOr = (v: unknown) => (typeof v === 'string' ? v : undefined);
const headerOr = (v: unknown) => (typeof v === 'string' ? v : undefined);
