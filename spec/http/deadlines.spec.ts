import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../src/transports/deadlines.js';

afterEach(() => void vi.useRealTimers());

describe('Deadlines', () => {
  it('fires a wait left running past its deadline, once, and never one deleted before it', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const deadlines = new Deadlines<string>(100, (item) => fired.push(item));
    deadlines.add('slow');
    deadlines.add('answered');
    vi.advanceTimersByTime(50);
    deadlines.delete('answered');
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(80);
    expect(fired).toEqual(['slow']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['slow']);
  });

  it('stops its timer when nothing waits, and starts it again for the next wait', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const deadlines = new Deadlines<number>(40, (item) => fired.push(item));
    deadlines.add(1);
    vi.advanceTimersByTime(60);
    expect(vi.getTimerCount()).toBe(0);
    deadlines.add(2);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(60);
    expect(fired).toEqual([1, 2]);
  });
});
