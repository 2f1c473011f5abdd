// A client that opens an event stream and then stops reading it must not make the server buffer
// without bound (issue #12, item 10): past the cap (stream-cap.ts) the stream is destroyed and its
// session ended, counted and logged. The client here is real: node:http GETs the stream, reads up
// to the first event it needs, then pauses the response, so its socket stops reading and the
// kernel's buffers fill, exactly as with a client that hangs.
import { createServer as createHttpServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { streamsOverflowed } from '../../src/metrics.js';
import { STREAM_BUFFER_CAP_BYTES } from '../../src/transports/stream-cap.js';
import { StreamableSessionTransport } from '../../src/transports/session-transport.js';
import { testDeps } from '../../test-support/in-memory.js';
import { startServer, stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';

const opened: IncomingMessage[] = [];
afterEach(async () => {
  for (const res of opened.splice(0)) res.destroy();
  await stopAllServers();
});

/** Log lines the server wrote, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** GETs an event stream and resolves once `until` matched what arrived (without one: once the head is in); the stream then stays unread. */
function openUnreadStream(
  url: string,
  path: string,
  headers: Record<string, string>,
  until?: RegExp,
): Promise<{ res: IncomingMessage; match: RegExpExecArray | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      opened.push(res);
      if (!until) {
        res.pause();
        return resolve({ res, match: undefined });
      }
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const match = until.exec(text);
        if (!match) return;
        res.off('data', onData);
        // From here on nothing reads this response: the client has stopped reading.
        res.pause();
        resolve({ res, match });
      };
      res.on('data', onData);
    });
    req.on('error', reject);
    req.end();
  });
}

const overflowCount = async (transport: string) => (await streamsOverflowed.get()).values.find((v) => v.labels.transport === transport)?.value ?? 0;

/** POSTs `body` until `stillAlive(status)` is false or `max` POSTs went out; resolves with how many went. */
async function postUntilGone(post: () => Promise<number>, stillAlive: (status: number) => boolean, max: number): Promise<number> {
  for (let sent = 1; sent <= max; sent++) if (!stillAlive(await post())) return sent;
  return max;
}

describe('event streams of clients that stop reading', () => {
  it('legacy SSE: ends the stream and its session once the unread data passes the cap, and counts and logs it', async () => {
    const { logger, lines } = capturingLogger();
    const { url, handle } = await startServer(testDeps(), {}, { logger });
    const before = await overflowCount('sse');
    const { match } = await openUnreadStream(url, '/sse', {}, /event: endpoint\ndata: (\S+)\n/);
    const endpoint = new URL(match![1]!, url);
    expect(handle.sessionCount()).toBe(1);
    const post = async (body: unknown) =>
      (await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'unread', version: '1' } },
    });
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });

    // Each tools/list answer is ~66 KB: the cap plus the sockets' buffers is a few hundred answers.
    let id = 1;
    const sent = await postUntilGone(
      () => post({ jsonrpc: '2.0', id: id++, method: 'tools/list' }),
      (status) => status === 202,
      2000,
    );
    expect(sent).toBeLessThan(2000);

    expect(handle.sessionCount()).toBe(0);
    expect(await overflowCount('sse')).toBe(before + 1);
    const line = lines.find((l) => l.transport === 'sse' && typeof l.buffered_bytes === 'number');
    expect(line).toMatchObject({ level: 40, cap_bytes: STREAM_BUFFER_CAP_BYTES });
    // What waited for the client when it was cut: past the cap by at most the last answer.
    expect(line!.buffered_bytes as number).toBeGreaterThan(STREAM_BUFFER_CAP_BYTES);
    expect(line!.buffered_bytes as number).toBeLessThan(STREAM_BUFFER_CAP_BYTES + 256 * 1024);
  });

  it('Streamable HTTP: ends a GET stream left unread, and its session, once the messages waiting for it pass the cap', async () => {
    const { logger, lines } = capturingLogger();
    const before = await overflowCount('streamable');
    // The session transport on a bare node:http server: the spec sends the messages related to
    // no request (those go to the GET stream) itself, as the server's list-change notices would.
    const transport = new StreamableSessionTransport({ sessionId: 's-1', keepAliveMs: 0, logger });
    let closed = false;
    transport.onclose = () => {
      closed = true;
    };
    transport.onmessage = (message) => {
      if ('id' in message && 'method' in message) void transport.send({ jsonrpc: '2.0', id: message.id, result: {} });
    };
    const server = createHttpServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const body = text ? JSON.parse(text) : undefined;
        void transport.handleRequest(req as never, res as never, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const init = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'unread', version: '1' } },
        }),
      });
      expect(init.status).toBe(200);
      await init.text();
      // The GET stream starts with its headers only: the client has it once the status line is in.
      await openUnreadStream(url, '/mcp', { 'mcp-session-id': 's-1', 'mcp-protocol-version': '2025-11-25' });
      await waitFor(() => (transport as unknown as { standalone?: unknown }).standalone !== undefined, 'the GET stream attached');

      const notice = { jsonrpc: '2.0' as const, method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(64 * 1024) } };
      let sent = 0;
      while (!closed && sent < 2000) {
        await transport.send(notice);
        sent++;
        // Let the socket take what it can between messages, as between a server's real notices.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(closed).toBe(true);
      expect(sent).toBeLessThan(2000);
      expect(await overflowCount('streamable')).toBe(before + 1);
      const line = lines.find((l) => l.transport === 'streamable');
      expect(line).toMatchObject({ level: 40, session: 's-1', cap_bytes: STREAM_BUFFER_CAP_BYTES });
      expect(line!.buffered_bytes as number).toBeGreaterThan(STREAM_BUFFER_CAP_BYTES);
      expect(line!.buffered_bytes as number).toBeLessThan(STREAM_BUFFER_CAP_BYTES + 256 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
