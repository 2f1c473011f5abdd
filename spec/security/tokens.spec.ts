// Issue #5, items 1 and 2: tokens come from AUTH_TOKENS and a tokens file (never from code),
// are compared in constant time, and a server reachable from other machines does not start
// without them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { tokenFingerprint } from '../../src/sessions/principal.js';
import { parseTokensFile, TokenSet } from '../../src/guards/tokens.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, TOKEN_B, bearer, startSecured } from './support/server.js';

// Counts timingSafeEqual calls, to prove the comparison goes through it.
const crypto = vi.hoisted(() => ({ calls: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      crypto.calls.push([a.byteLength, b.byteLength]);
      return actual.timingSafeEqual(a, b);
    },
  };
});

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tokensFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-tokens-'));
  dirs.push(dir);
  const file = join(dir, 'tokens');
  await writeFile(file, content);
  return file;
}

describe('the tokens file format', () => {
  it('reads tokens, optional principal names and groups, and skips comments and blank lines', () => {
    const { entries, problems } = parseTokensFile(
      [
        '# cnpg-mcp tokens (test only)',
        '',
        `${TOKEN_A}:alice:dba,oncall`,
        `  ${TOKEN_B}  `,
        'short',
        `${TOKEN_A}x:bob`,
        `${TOKEN_B}y:system:serviceaccount:kube-system:admin`,
        `bad token here`,
      ].join('\n'),
    );
    expect(entries.map((e) => ({ user: e.principal.user, groups: e.principal.groups, id: e.principal.id }))).toEqual([
      { user: 'alice', groups: ['dba', 'oncall'], id: tokenFingerprint(TOKEN_A) },
      { user: `cnpg-mcp:token:${tokenFingerprint(TOKEN_B)}`, groups: [], id: tokenFingerprint(TOKEN_B) },
      { user: 'bob', groups: [], id: tokenFingerprint(`${TOKEN_A}x`) },
    ]);
    // Problems name the line, never the token.
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/^line 5: .*shorter/m);
    expect(problems.join('\n')).toMatch(/^line 7: too many ":"/m);
    expect(problems.join('\n')).toMatch(/^line 8: .*characters a bearer token cannot have/m);
    expect(problems.join('\n')).not.toContain('short:');
    expect(problems.join('\n')).not.toContain(TOKEN_B);
  });

  it('names a token by the first 12 hex digits of its SHA-256', () => {
    expect(tokenFingerprint('abc')).toBe('ba7816bf8f01');
  });
});

describe('token comparison', () => {
  it('compares SHA-256 digests with timingSafeEqual against every entry, without stopping at a match', () => {
    const set = new TokenSet(parseTokensFile([TOKEN_A, TOKEN_B, `${TOKEN_B}zz`].join('\n')).entries);
    crypto.calls.length = 0;
    expect(set.verify(TOKEN_A)?.id).toBe(tokenFingerprint(TOKEN_A));
    expect(crypto.calls).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
    crypto.calls.length = 0;
    // A presented token of any length is hashed first: the comparison is always 32 bytes to 32.
    expect(set.verify('x'.repeat(5000))).toBeUndefined();
    expect(crypto.calls).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
  });
});

describe('where tokens come from', () => {
  it('accepts the tokens of AUTH_TOKENS (comma-separated) and of the tokens file together', async () => {
    const file = await tokensFile(`# test only\n${TOKEN_B}:bob\n`);
    const config = parseConfig(['--transport', 'http', '--auth-tokens-file', file], { AUTH_TOKENS: ` ${TOKEN_A} , ` }).kind;
    expect(config).toBe('run');
    const { url } = await startSecured({ tokens: [TOKEN_A], auth: { tokensFile: file } });
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(200);
    await request(url).get('/metrics').set(bearer(TOKEN_B)).expect(200);
  });

  it('reads AUTH_TOKENS from the environment only: there is no flag that would show tokens in the process list', () => {
    expect(() => parseConfig(['--auth-tokens', TOKEN_A], {})).toThrow(ConfigError);
    const parsed = parseConfig(['--transport', 'http'], { AUTH_TOKENS: `${TOKEN_A},${TOKEN_B}` });
    expect(parsed.kind === 'run' && parsed.config.http.auth.tokens).toEqual([TOKEN_A, TOKEN_B]);
  });

  it('refuses to start when the tokens file cannot be read (a typo must not mean "no tokens")', async () => {
    await expect(startSecured({ tokens: [], auth: { tokensFile: '/nonexistent/cnpg-mcp/tokens' } })).rejects.toThrow(/ENOENT/);
  });
});

describe('starting without authentication', () => {
  it('refuses a non-loopback bind without auth: a clear message and exit code 2', async () => {
    const { code, stderr } = await runMain(['--transport', 'http', '--host', '0.0.0.0', '--port', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/refusing to serve HTTP on 0\.0\.0\.0 without authentication/);
    expect(stderr).toMatch(/AUTH_TOKENS|--auth-tokens-file/);
    expect(stderr).toMatch(/--insecure-no-auth/);
  });

  it('accepts a non-loopback bind without auth only with --insecure-no-auth, or with tokens', () => {
    expect(() => parseConfig(['--transport', 'http', '--host', '0.0.0.0'], {})).toThrow(ConfigError);
    expect(parseConfig(['--transport', 'http', '--host', '0.0.0.0', '--insecure-no-auth'], {}).kind).toBe('run');
    expect(parseConfig(['--transport', 'http', '--host', '0.0.0.0'], { AUTH_TOKENS: TOKEN_A }).kind).toBe('run');
    expect(parseConfig(['--transport', 'http', '--host', '0.0.0.0', '--auth-tokens-file', '/var/run/secrets/cnpg-mcp/tokens'], {}).kind).toBe('run');
    // stdio never listens.
    expect(parseConfig(['--host', '0.0.0.0'], {}).kind).toBe('run');
  });

  it('starts on loopback without tokens, with a warning', async () => {
    const child = spawnMain(['--transport', 'http', '--host', '127.0.0.1', '--port', '0']);
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await vi.waitFor(() => expect(log).toContain('listening on'), { timeout: 20_000, interval: 50 });
      expect(log).toMatch(/"level":40.*no authentication configured/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function spawnMain(args: string[]) {
  // A clean environment: no token or setting of the machine running the specs leaks in.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KUBECONFIG: '/nonexistent/kubeconfig' };
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function runMain(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnMain(args);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}
