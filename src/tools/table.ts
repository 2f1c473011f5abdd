// A plain-text table a person can read in any client: columns padded to the widest cell, one
// line per row. Used by query_postgres and get_cluster_status (issue #15).

/** One line per cell: newlines and tabs shown as \n and \t, long values cut with an ellipsis. */
function cell(value: string | null, max: number): string {
  if (value === null) return 'NULL';
  const flat = value.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatTable(columns: string[], rows: (string | null)[][], maxCell = 200): string {
  if (!columns.length) return '(no columns)';
  const head = columns.map((c) => cell(c, maxCell));
  const body = rows.map((r) => columns.map((_, i) => cell(r[i] ?? null, maxCell)));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)].join('\n');
}
