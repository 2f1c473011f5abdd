// npm's `prepare`: runs on `npm install` in a clone, on `npm pack`, and when npm installs a clone
// directory (`npm install -g .`) or a git URL. It compiles src/ to a fresh dist/. npm installs
// only `dependencies` for a global install of a directory, so TypeScript is missing there: the
// devDependencies are installed first rather than failing on "tsc: not found" (issue #13).
// Plain JavaScript on purpose: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findTsc() {
  try {
    return require.resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!findTsc()) {
  process.stderr.write('cnpg-mcp: TypeScript is not installed here; installing the devDependencies to build dist/\n');
  // npm_execpath is the npm running this script; scripts are skipped, this one included. npm
  // hands its settings to scripts as npm_config_* variables: under `npm install -g` they would
  // make this install global too, so it gets them from its own command line only.
  const npm = process.env.npm_execpath;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_')));
  const args = ['install', '--global=false', '--include=dev', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund'];
  if (npm) run(process.execPath, [npm, ...args], env);
  else run('npm', args, env);
}
const tsc = findTsc();
if (!tsc) {
  process.stderr.write('cnpg-mcp: TypeScript is still missing after installing the devDependencies; run `npm install` in the clone, then `npm install -g .`\n');
  process.exit(1);
}
// A fresh dist/, so a file whose source was deleted is not packed.
rmSync('dist', { recursive: true, force: true });
run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
