// Summarises a server CPU profile taken under load (`npm run bench -- --profile` writes them, as
// does `node --cpu-prof`):
//   npx tsx load/profile-summary.ts <file.cpuprofile> [--calls N] [--top 25]
// With --calls (the tool calls served while profiling) figures are also given in µs per call.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderSummary, summarizeProfile, type CpuProfile } from './lib/cpuprofile.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { calls: { type: 'string' }, top: { type: 'string', default: '25' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npx tsx load/profile-summary.ts <file.cpuprofile> [--calls N] [--top 25]\n');
  process.exit(2);
}
const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
process.stdout.write(renderSummary(summary, values.calls ? Number(values.calls) : undefined, Number(values.top)));
