// A throwaway PostgreSQL server for the specs of the SQL guard (issue #15): initdb in a temp
// directory, listening only on a unix socket there (no TCP at all), run as the unprivileged
// `postgres` OS user when the specs run as root (initdb refuses root). Stopped by its pid.
// Skipped (with the reason in the name) where the Debian postgresql package is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export const pgBinDir = findBinDir();
export const skipReasonNoPostgres = pgBinDir ? '' : ' [needs PostgreSQL: apt-get install postgresql-15]';

/** uid/gid to run the server as: the postgres OS user when we are root, ourselves otherwise. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface TestPostgres {
  socketDir: string;
  binDir: string;
  /** Environment for psql (and libpq clients) to reach this server as the superuser postgres. */
  env: Record<string, string>;
  /** Runs SQL as the superuser outside any guard: for setting up and checking effects. */
  admin(sql: string, database?: string): string;
  stop(): Promise<void>;
}

export async function startPostgres(settings: Record<string, string> = {}): Promise<TestPostgres> {
  const binDir = pgBinDir!;
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-pg-'));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    encoding: 'utf8',
    ...user,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const options = { listen_addresses: '', unix_socket_directories: dir, fsync: 'off', ...settings };
  const args = ['-D', data, ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child: ChildProcess = spawn(join(binDir, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...user });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${log}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`postgres exited with ${code}:\n${log}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const env = { PGHOST: dir, PGUSER: 'postgres', PGPORT: '5432' };
  return {
    socketDir: dir,
    binDir,
    env,
    admin(sql, database = 'postgres') {
      const r = spawnSync(join(binDir, 'psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-tAq', '-d', database, '-c', sql], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT'); // fast shutdown
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
