// A plane whose Node process was SIGKILLed (an OOM, a killed CI step) had no chance to clean up.
// Each plane leaves an owner file in its temp dir; the next start finds planes whose owner is
// dead, kills their processes and removes the dir.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalGroup } from './processes.js';

export const planeDirPrefix = 'cnpg-mcp-plane-';
const ownerFile = 'owner.json';

interface Owner {
  ownerPid: number;
  pids: number[];
}

export function writeOwner(dir: string, pids: number[]): void {
  writeFileSync(join(dir, ownerFile), JSON.stringify({ ownerPid: process.pid, pids } satisfies Owner));
}

/**
 * `beforeRemove` runs for each stale plane once its processes are dead and before its dir goes:
 * a node's teardown must unmount what its pods left under that dir first.
 */
export function reapStalePlanes(beforeRemove: (dir: string) => void = () => {}): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(planeDirPrefix)) continue;
    const dir = join(tmpdir(), name);
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(dir, ownerFile), 'utf8')) as Owner;
    } catch {
      continue; // starting right now, or kept on purpose (logs of a failed start)
    }
    if (isAlive(owner.ownerPid)) continue;
    // A pid may have been reused since: only kill a process that still names this plane's dir.
    for (const pid of owner.pids) if (mentions(pid, dir)) signalGroup(pid, 'SIGKILL');
    beforeRemove(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux: the plane's dir is in every child's command line (etcd, apiserver) or environment (operator). */
function mentions(pid: number, dir: string): boolean {
  for (const file of ['cmdline', 'environ']) {
    try {
      if (readFileSync(`/proc/${pid}/${file}`, 'latin1').includes(dir)) return true;
    } catch {
      // gone, or not Linux
    }
  }
  return false;
}
