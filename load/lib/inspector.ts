// What /proc cannot tell, asked of V8 itself: the server runs with --inspect=127.0.0.1:0 and the
// harness speaks the DevTools protocol to it.
//  - The heap after a full GC: RSS keeps what V8 once allocated; the heap after a full GC is what
//    the server still holds — the figure that tells a leak from a lazy collector.
//  - A CPU profile of exactly a measured window (bench --profile).

export interface HeapUsage {
  /** JS heap in use after a full GC, MiB. */
  usedMb: number;
  /** JS heap reserved, MiB. */
  totalMb: number;
}

interface InspectorSession {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** Opens a DevTools-protocol session; every call fails once the connection closes or `timeoutMs` passes. */
async function connect(wsUrl: string, timeoutMs: number): Promise<InspectorSession> {
  const ws = new WebSocket(wsUrl);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const timer = setTimeout(() => ws.close(), timeoutMs).unref();
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const entry = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) entry?.reject(new Error(message.error.message));
    else entry?.resolve(message.result);
  });
  const closed = new Promise<never>((_, reject) => ws.addEventListener('close', () => reject(new Error('inspector connection closed'))));
  closed.catch(() => undefined);
  const call = (method: string, params: Record<string, unknown> = {}) =>
    Promise.race([
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
      closed,
    ]);
  const close = () => {
    clearTimeout(timer);
    ws.close();
  };
  try {
    await Promise.race([new Promise((resolve) => ws.addEventListener('open', resolve, { once: true })), closed]);
  } catch (err) {
    close();
    throw err;
  }
  return { call, close };
}

/** Connects to the inspector at `wsUrl`, collects garbage, reads the heap, disconnects. */
export async function heapAfterGc(wsUrl: string, timeoutMs = 30_000): Promise<HeapUsage> {
  const session = await connect(wsUrl, timeoutMs);
  try {
    // Twice: the first pass may only queue finalisation of what the second then frees.
    await session.call('HeapProfiler.collectGarbage');
    await session.call('HeapProfiler.collectGarbage');
    const usage = (await session.call('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    return { usedMb: usage.usedSize / 2 ** 20, totalMb: usage.totalSize / 2 ** 20 };
  } finally {
    session.close();
  }
}

/**
 * Starts V8's sampling CPU profiler in the server; stop() returns the profile of exactly the time
 * between (unlike --cpu-prof, which covers the whole process, start-up and compilation included).
 */
export async function startCpuProfile(wsUrl: string, intervalUs = 500, timeoutMs = 15 * 60_000): Promise<{ stop(): Promise<unknown> }> {
  const session = await connect(wsUrl, timeoutMs);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.call('Profiler.start');
  return {
    async stop() {
      try {
        return ((await session.call('Profiler.stop')) as { profile: unknown }).profile;
      } finally {
        session.close();
      }
    },
  };
}
