// The import graph of src/, read with the TypeScript compiler's own pre-processor: static,
// type-only, re-exported and dynamic imports alike (a type-only circle is still a circle).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Edges between files, as paths relative to `srcDir` ('mcp/server.ts' → 'kit/tool.ts'). */
export function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(srcDir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(srcDir, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'))
      // package.json (the version) is data outside src/, not a room
      .filter((target) => !target.startsWith('..'));
    graph.set(relative(srcDir, file), targets);
  }
  return graph;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The room a file belongs to: its top folder, or the root group naming it (else its own name). */
export function roomOf(file: string, rootRooms: Readonly<Record<string, readonly string[]>> = {}): string {
  const top = file.split('/')[0]!;
  if (top !== file) return top;
  return Object.entries(rootRooms).find(([, files]) => files.includes(file))?.[0] ?? file;
}

/** Each import that does not point to the same room or to a lower floor, said in words. */
export function upwardImports(
  graph: Map<string, string[]>,
  floors: readonly (readonly string[])[],
  rootRooms: Readonly<Record<string, readonly string[]>> = {},
): string[] {
  const room = (file: string) => roomOf(file, rootRooms);
  const floorOf = new Map(floors.flatMap((rooms, i) => rooms.map((room) => [room, i] as const)));
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const a = floorOf.get(room(from));
    if (a === undefined) {
      problems.push(`${from}: ${room(from)} is on no floor (spec/architecture/floors.ts)`);
      continue;
    }
    for (const to of targets) {
      if (room(to) === room(from)) continue;
      const b = floorOf.get(room(to));
      if (b === undefined) problems.push(`${from} → ${to}: ${room(to)} is on no floor`);
      else if (b < a) problems.push(`${from} → ${to}: upward (floor ${a} imports floor ${b})`);
      else if (b === a) problems.push(`${from} → ${to}: sideways (${room(from)} and ${room(to)} share floor ${a})`);
    }
  }
  return problems;
}

/** Every import circle between files (each reported once, as the path that closes it). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}
