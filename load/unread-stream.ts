// npx tsx load/unread-stream.ts [--answers 10000]
//
// Issue #12 item 10 as a figure: one legacy SSE client opens its stream and stops reading it,
// then tools/list requests (~66 KB answers each) are posted for its session until the server
// ends the session (404) or --answers went out. Prints the server process's RSS before, at its
// peak and after a GC, and how many answers were accepted. The server runs in this process
// (test-support/http-server.ts), so RSS is the server's plus this small client's.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { testDeps } from '../test-support/in-memory.js';
import { startServer, stopAllServers } from '../test-support/http-server.js';

const { values } = parseArgs({ options: { answers: { type: 'string', default: '10000' } } });
const max = Number(values.answers);
const mib = (bytes: number) => Math.round(bytes / 1048576);
const gc = (globalThis as { gc?: () => void }).gc;

// One client posting thousands of requests on purpose: the per-principal rate limit is lifted, as in the benchmark.
const { url, handle } = await startServer(testDeps(), { rateLimitPerMinute: 0 });
gc?.();
const before = process.memoryUsage().rss;

const endpoint = await new Promise<URL>((resolve, reject) => {
  const req = request(new URL('/sse', url), { headers: { accept: 'text/event-stream' } }, (res) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = /event: endpoint\ndata: (\S+)\n/.exec(text);
      if (!match) return;
      res.off('data', onData);
      res.pause(); // the client stops reading here
      resolve(new URL(match[1]!, url));
    };
    res.on('data', onData);
  });
  req.on('error', reject);
  req.end();
});
const post = async (body: unknown) =>
  (await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
await post({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'unread', version: '1' } },
});
await post({ jsonrpc: '2.0', method: 'notifications/initialized' });

let peak = process.memoryUsage().rss;
let accepted = 0;
for (let id = 1; id <= max; id++) {
  const status = await post({ jsonrpc: '2.0', id, method: 'tools/list' });
  if (status !== 202) {
    process.stdout.write(`POST ${id} answered ${status}\n`);
    break;
  }
  accepted++;
  if (id % 20 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
peak = Math.max(peak, process.memoryUsage().rss);
gc?.();
const after = process.memoryUsage().rss;
process.stdout.write(
  `${accepted} answers accepted for the unread stream (of ${max} posted at most); sessions open now: ${handle.sessionCount()}\n` +
    `RSS before ${mib(before)} MiB, peak ${mib(peak)} MiB, at the end after a GC ${mib(after)} MiB${gc ? '' : ' (no --expose-gc: no GC forced)'}\n`,
);
await stopAllServers();
process.exit(0);
