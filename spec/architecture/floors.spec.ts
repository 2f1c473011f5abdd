// The layout of src/ as a rule (issue #16): every import points down the floors declared in
// floors.ts, and no file reaches itself again through its imports, type-only imports included.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLOORS, ROOT_ROOMS } from './floors.js';
import { cycles, importGraph, upwardImports } from './imports.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('the floors of src/', () => {
  const graph = importGraph(SRC);

  it('reads every file of src/ and its imports', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('mcp/server.ts')).toContain('kit/deps.ts');
  });

  it('has every import pointing to its own folder or a lower floor', () => {
    expect(upwardImports(graph, FLOORS, ROOT_ROOMS)).toEqual([]);
  });

  it('has no import circle', () => {
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('names each room on one floor only', () => {
    const rooms = FLOORS.flat();
    expect(new Set(rooms).size).toBe(rooms.length);
    const rootFiles = Object.values(ROOT_ROOMS).flat();
    expect(new Set(rootFiles).size).toBe(rootFiles.length);
  });
});

describe('the rule itself', () => {
  const floors = [['app'], ['mcp', 'tools'], ['kit']];

  it('refuses an upward, a sideways and an unplaced import, and allows a downward one', () => {
    const graph = new Map([
      ['kit/tool.ts', ['app/app.ts']],
      ['mcp/server.ts', ['tools/index.ts', 'kit/tool.ts']],
      ['tools/index.ts', ['kit/tool.ts', 'stray/x.ts']],
      ['app/app.ts', ['mcp/server.ts']],
    ]);
    expect(upwardImports(graph, floors)).toEqual([
      'kit/tool.ts → app/app.ts: upward (floor 2 imports floor 0)',
      'mcp/server.ts → tools/index.ts: sideways (mcp and tools share floor 1)',
      'tools/index.ts → stray/x.ts: stray is on no floor',
    ]);
  });

  it('finds a circle, type-only or not', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
