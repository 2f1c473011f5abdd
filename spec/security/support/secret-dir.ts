// A directory laid out the way kubelet mounts a Secret, and updated the way kubelet updates it:
//   <dir>/..2026_11_24_12_00_00.123456789/<key>   the data, in a timestamped directory
//   <dir>/..data -> ..2026_…                      symlink to the current data directory
//   <dir>/<key>  -> ..data/<key>                  one symlink per key
// An update writes a new timestamped directory, points a temporary symlink `..data_tmp` at it,
// renames that over `..data` (atomic), then removes the old directory (kubernetes
// pkg/volume/util/atomic_writer.go). The key symlinks never change.
import { mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecretDir {
  dir: string;
  /** Path of a key as the server is given it (the symlink). */
  path(key: string): string;
  /** Replaces the whole Secret's data, as kubelet does. */
  update(data: Record<string, string | Buffer>): Promise<void>;
  remove(): Promise<void>;
}

let counter = 0;

export async function createSecretDir(data: Record<string, string | Buffer>): Promise<SecretDir> {
  const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-secret-'));
  const writeData = async (content: Record<string, string | Buffer>) => {
    const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*/, '');
    const name = `..${stamp}.${process.hrtime.bigint()}${++counter}`;
    await mkdir(join(dir, name));
    for (const [key, value] of Object.entries(content)) await writeFile(join(dir, name, key), value, { mode: 0o440 });
    return name;
  };
  const first = await writeData(data);
  await symlink(first, join(dir, '..data'));
  for (const key of Object.keys(data)) await symlink(join('..data', key), join(dir, key));
  return {
    dir,
    path: (key) => join(dir, key),
    async update(content) {
      const old = await readlink(join(dir, '..data'));
      const next = await writeData(content);
      await symlink(next, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      await rm(join(dir, old), { recursive: true, force: true });
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
