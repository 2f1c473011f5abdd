// "Did you mean …?" for argument and tool names (issue #12, item 1). Ten lines of edit distance
// instead of a dependency: the names compared are a few dozen short identifiers.

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** camelCase, kebab-case and snake_case of one name compare equal: dryRun ~ dry-run ~ dry_run. */
const folded = (name: string) => name.toLowerCase().replace(/[-_\s]/g, '');

/**
 * The known name closest to `unknown`, or undefined when none is close enough to be a typo
 * (at most a third of the name's letters differ once case and separators are ignored).
 */
export function closestName(unknown: string, known: Iterable<string>): string | undefined {
  const target = folded(unknown);
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(target, folded(name));
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(target.length / 3)) ? best.name : undefined;
}
