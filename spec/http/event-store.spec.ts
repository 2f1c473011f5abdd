import { describe, expect, it } from 'vitest';
import { MemoryEventStore, PRIMING } from '../../src/transports/event-store.js';

const message = (id: number) => ({ jsonrpc: '2.0' as const, id, result: {} });

function replay(store: MemoryEventStore, after: string) {
  const sent: [string, unknown][] = [];
  store.replayAfter(after, (id, m) => void sent.push([id, m]));
  return sent;
}

describe('MemoryEventStore', () => {
  it('replays only the later events of the same stream, without the priming event', () => {
    const store = new MemoryEventStore();
    const priming = store.store('a', PRIMING);
    const first = store.store('a', message(1));
    store.store('b', message(99));
    const second = store.store('a', message(2));
    expect(store.streamOf(priming)).toBe('a');
    expect(replay(store, priming)).toEqual([
      [first, message(1)],
      [second, message(2)],
    ]);
    expect(replay(store, first)).toEqual([[second, message(2)]]);
  });

  it('stays bounded, and still names the stream of an evicted event', () => {
    const store = new MemoryEventStore(2);
    const old = store.store('s', message(1));
    store.store('s', message(2));
    const last = store.store('s', message(3));
    expect(store.streamOf(old)).toBe('s');
    expect(replay(store, old).map(([id]) => id)).toContain(last);
    expect(replay(store, old)).toHaveLength(2);
  });

  it('refuses an event id it could not have issued', () => {
    const store = new MemoryEventStore();
    expect(store.streamOf('garbage')).toBeUndefined();
    expect(() => replay(store, 'garbage')).toThrow();
  });
});
