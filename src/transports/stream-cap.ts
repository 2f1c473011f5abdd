// A bound on what one event stream may hold for a client that does not read it (issue #12,
// item 10). Node buffers whatever res.write() cannot hand to the socket: a client that stops
// reading its stream while answers keep coming grows the server's memory without bound (RSS
// 346 → 984 MB after 10,000 answers queued to one unread legacy SSE stream). Past the cap the
// stream is destroyed, not ended: end() would wait for the unread bytes to drain, and destroying
// the socket is what hands the buffered bytes back. Its session goes with it (the stream is the
// session's only way to the client), counted in cnpg_mcp_streams_overflowed_total and logged.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { streamsOverflowed } from '../metrics.js';

/**
 * Bytes a stream may have waiting for its client beyond the socket's own buffers. Well above
 * any burst a reading client leaves behind (a tools/list answer is ~66 KB), far below what hurts.
 */
export const STREAM_BUFFER_CAP_BYTES = 4 * 1024 * 1024;

export interface StreamCap {
  transport: 'sse' | 'streamable';
  sessionId: string;
  logger: Logger;
  capBytes?: number;
  /** Ends the session the stream belongs to. */
  endSession: () => void;
}

/**
 * Call after each write to the stream: true (and the stream and its session ended) when the bytes
 * waiting for the client passed the cap. Below the socket's high-water mark writes return true and
 * nothing waits; between it and the cap the client is merely slow, and the bytes wait.
 */
export function overflowed(res: ServerResponse, cap: StreamCap): boolean {
  const limit = cap.capBytes ?? STREAM_BUFFER_CAP_BYTES;
  const buffered = res.writableLength;
  if (buffered <= limit || res.destroyed) return false;
  streamsOverflowed.inc({ transport: cap.transport });
  cap.logger.warn(
    { transport: cap.transport, session: cap.sessionId, buffered_bytes: buffered, cap_bytes: limit },
    'event stream closed with its session: the client stopped reading and its unread data passed the cap',
  );
  res.destroy();
  cap.endSession();
  return true;
}
