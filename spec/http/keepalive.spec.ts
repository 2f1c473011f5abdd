// The shared keep-alive ticker: every stream gets its comments, a stopped or ended one gets none.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEPALIVE_COMMENT, startKeepalive, stopKeepalive } from '../../src/transports/keepalive.js';
import { waitFor } from '../../test-support/wait.js';

/** Just what the ticker touches of a response. */
function fakeStream() {
  const written: string[] = [];
  const res = { writableEnded: false, destroyed: false, write: (chunk: string) => written.push(chunk) > 0 };
  return { res: res as unknown as ServerResponse & typeof res, written };
}

const started: ServerResponse[] = [];
afterEach(() => {
  for (const res of started.splice(0)) stopKeepalive(res);
});

function start(res: ServerResponse, intervalMs: number): void {
  started.push(res);
  startKeepalive(res, intervalMs);
}

describe('keep-alive comments', () => {
  it('writes to every open stream, each about once per interval', async () => {
    const a = fakeStream();
    const b = fakeStream();
    start(a.res, 30);
    start(b.res, 30);
    await waitFor(() => a.written.length >= 2 && b.written.length >= 2, 'two comments on each stream');
    expect(new Set([...a.written, ...b.written])).toEqual(new Set([KEEPALIVE_COMMENT]));
  });

  it('stops writing once stopped, and drops a stream that ended without being stopped', async () => {
    const stopped = fakeStream();
    const ended = fakeStream();
    const open = fakeStream();
    for (const s of [stopped, ended, open]) start(s.res, 20);
    await waitFor(() => stopped.written.length >= 1 && ended.written.length >= 1, 'a first comment');
    stopKeepalive(stopped.res);
    ended.res.writableEnded = true;
    const [stoppedCount, endedCount] = [stopped.written.length, ended.written.length];
    const openCount = open.written.length;
    await waitFor(() => open.written.length >= openCount + 2, 'more comments on the open stream');
    expect(stopped.written.length).toBe(stoppedCount);
    expect(ended.written.length).toBe(endedCount);
  });
});
