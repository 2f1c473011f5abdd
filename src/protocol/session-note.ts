// The session a response belongs to when the request itself does not name it (a new legacy SSE
// stream names its session in its first event): the transport notes it, the audit line reads it.
import type { Response } from 'express';

export function noteSession(res: Response, sessionId: string): void {
  res.locals.auditSession = sessionId;
}

export function notedSession(res: Response): string | undefined {
  return res.locals.auditSession as string | undefined;
}
