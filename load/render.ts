// Re-renders the markdown summary and the chart of a results file (after a change to the report,
// or for an older run):  npx tsx load/render.ts [load/results/latest.json]
// Writes <name>.md and <name>.svg beside the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { chartFor, renderMarkdown, type BenchResults } from './lib/report.js';

const file = process.argv[2] ?? new URL('results/latest.json', import.meta.url).pathname;
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const stem = file.replace(/\.json$/, '');
writeFileSync(`${stem}.svg`, chartFor(results));
writeFileSync(`${stem}.md`, renderMarkdown(results, `${basename(stem)}.svg`));
process.stdout.write(`wrote ${stem}.md and ${stem}.svg\n`);
