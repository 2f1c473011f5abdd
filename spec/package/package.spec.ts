// The package as a user gets it (issue #13): packed with `npm pack` from a copy of the sources
// (so the shared dist/ is not rebuilt under anyone), installed from the tarball into a temporary
// global prefix with `npm install -g --offline` (npm's cache only: no network), and run through
// the installed `cnpg-mcp` bin.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINIMUM_NODE, nodeVersionProblem } from '../../src/node-version.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  files: string[];
  engines: { node: string };
  dependencies: Record<string, string>;
};
// What `npm pack` and the build read; node_modules is linked, not copied.
const SOURCES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'scripts/prepare.mjs',
  'README.md',
  'LICENSE',
  'SECURITY.md',
  'docs',
];
// This Node (24, from the devDependency) first on PATH: the bin's `#!/usr/bin/env node` finds it.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };

let work: string;
let packed: string[];
let installed: string;
let bin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cnpg-mcp-package-'));
  const copy = join(work, 'src-copy');
  for (const entry of SOURCES) cpSync(join(repo, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, env, maxBuffer: 16 * 2 ** 20 });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  packed = report.files.map((f) => f.path).sort();
  const prefix = join(work, 'prefix');
  await run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, report.filename)], { cwd: work, env });
  installed = join(prefix, 'lib', 'node_modules', pkg.name);
  bin = join(prefix, 'bin', 'cnpg-mcp');
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the compiled server, the package files and the linked docs, and nothing else', () => {
    const allowed = new Set(['package.json', 'README.md', 'LICENSE', ...pkg.files.filter((f) => !f.endsWith('/'))]);
    const unexpected = packed.filter((path) => !path.startsWith('dist/') && !allowed.has(path));
    expect(unexpected).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining(['dist/main.js', 'dist/run.js', 'dist/node-version.js', 'package.json', 'README.md', 'LICENSE', 'SECURITY.md']),
    );
    expect(packed.filter((path) => path.startsWith('dist/') && !path.endsWith('.js'))).toEqual([]);
  });

  it('declares as runtime dependencies exactly the packages dist/ imports', () => {
    const imported = new Set<string>();
    for (const path of packed.filter((p) => p.endsWith('.js'))) {
      const text = readFileSync(join(installed, path), 'utf8');
      // Static and dynamic imports, and CommonJS packages loaded lazily through createRequire (require…('x')).
      for (const match of text.matchAll(/(?:from\s+|import\(|require\w*\()\s*['"]([^'"./][^'"]*)['"]/g)) {
        const specifier = match[1]!;
        if (specifier.startsWith('node:')) continue;
        imported.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
      }
    }
    expect([...imported].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});

describe('the installed bin', () => {
  it('prints the package version', async () => {
    const { stdout } = await run(bin, ['--version'], { env });
    expect(stdout.trim()).toBe(`${pkg.name} ${pkg.version}`);
  });

  it('has its runtime dependencies installed beside it and none of the dev ones', () => {
    const modules = join(installed, 'node_modules');
    for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(modules, name)), name).toBe(true);
    for (const dev of ['typescript', 'vitest', '@modelcontextprotocol/client']) expect(existsSync(join(modules, dev)), dev).toBe(false);
  });
});

describe('Node version check', () => {
  it('refuses versions below the minimum and accepts the minimum, 24 and later', () => {
    expect(nodeVersionProblem('20.20.2')).toMatch(/^Node\.js 20\.20\.2 cannot run cnpg-mcp: it needs Node\.js 24 \(LTS\) or 22\.19 and later\./);
    expect(nodeVersionProblem('22.18.9')).toBeDefined();
    expect(nodeVersionProblem(MINIMUM_NODE)).toBeUndefined();
    expect(nodeVersionProblem('24.0.0')).toBeUndefined();
    expect(nodeVersionProblem('26.1.0')).toBeUndefined();
  });

  it('agrees with the engines field of package.json', () => {
    expect(pkg.engines.node.split('||').map((r) => r.trim())[0]).toBe(`^${MINIMUM_NODE}`);
  });

  // The message is only visible on a real old Node: found on PATH or as /usr/bin/node (Debian's,
  // 20 on the project machines). Where there is none the spec says so in its name.
  const oldNode = findOldNode();
  it.skipIf(!oldNode)(
    `says in one line which versions work when run by an unsupported Node${oldNode ? '' : ' (skipped: no Node older than 22.19 on this machine)'}`,
    async () => {
      const result = await run(oldNode!, [join(installed, 'dist', 'main.js'), '--version'], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^cnpg-mcp: Node\.js \d+\.\d+\.\d+ cannot run cnpg-mcp: it needs Node\.js 24 \(LTS\) or 22\.19 and later\. .*nodejs\.org/);
    },
  );
});

function findOldNode(): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')), '/usr/bin/node', '/usr/local/bin/node'];
  for (const candidate of new Set(candidates)) {
    if (!existsSync(candidate)) continue;
    try {
      const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (nodeVersionProblem(version)) return candidate;
    } catch {
      // not runnable: try the next
    }
  }
  return undefined;
}
