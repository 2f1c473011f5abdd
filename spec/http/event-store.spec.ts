import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/http/event-store.js';

const message = (id: number) => ({ jsonrpc: '2.0' as const, id, result: {} });

async function replay(store: MemoryEventStore, after: string) {
  const sent: [string, unknown][] = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, m) => void sent.push([id, m]) });
  return { stream, sent };
}

describe('MemoryEventStore', () => {
  it('replays only the later events of the same stream, without the empty priming event', async () => {
    const store = new MemoryEventStore();
    const priming = await store.storeEvent('a', {} as never);
    const first = await store.storeEvent('a', message(1));
    await store.storeEvent('b', message(99));
    const second = await store.storeEvent('a', message(2));
    expect(await replay(store, priming)).toEqual({ stream: 'a', sent: [[first, message(1)], [second, message(2)]] });
    expect((await replay(store, first)).sent).toEqual([[second, message(2)]]);
  });

  it('stays bounded, and still names the stream of an evicted event', async () => {
    const store = new MemoryEventStore(2);
    const old = await store.storeEvent('s', message(1));
    await store.storeEvent('s', message(2));
    const last = await store.storeEvent('s', message(3));
    expect(await store.getStreamIdForEventId(old)).toBe('s');
    expect((await replay(store, old)).sent.map(([id]) => id)).toContain(last);
    expect((await replay(store, old)).sent).toHaveLength(2);
  });

  it('refuses an event id it could not have issued', async () => {
    const store = new MemoryEventStore();
    expect(await store.getStreamIdForEventId('garbage')).toBeUndefined();
    await expect(replay(store, 'garbage')).rejects.toThrow();
  });
});
