// The machine's one-node lock (/tmp/cnpg-mcp-e2e.lock, flock(1)): every e2e run and every script
// that starts the local node holds it, so only one node runs per machine. One definition of its
// path and of how a process holds it.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, statSync } from 'node:fs';

export const nodeLockPath = '/tmp/cnpg-mcp-e2e.lock';

/**
 * Holds `path` until this process ends: flock(1) on a descriptor this process keeps open. A flock
 * lock belongs to the open file description, which the flock child shares, so it stays held after
 * flock exits, until this process closes the file (at exit, however it ends). Waits while another
 * process holds it, saying so once.
 */
export function holdLock(path: string, say: (line: string) => void = () => {}): void {
  const fd = openSync(path, 'a');
  if (spawnSync('flock', ['-n', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] }).status === 0) return;
  say(`waiting for ${path} (an e2e run or another deploy holds the node)…`);
  const waited = spawnSync('flock', ['3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
  if (waited.status !== 0) throw new Error(`flock ${path} failed (exit ${waited.status})`);
}

/** Whether nobody holds `path` right now (a non-blocking flock that is released at once). */
export function lockIsFree(path: string): boolean {
  return spawnSync('flock', ['-n', path, 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether this process or one of its ancestors holds the flock lock on `path` (Linux: /proc/locks
 * names the process that took each lock; `flock <path> npm run …` stays the parent of the run).
 */
export function lockHeldByAncestor(path: string): boolean {
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return false;
  }
  const holders = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    // "1: FLOCK  ADVISORY  WRITE 8306 fe:00:10002754 0 EOF"
    .filter((fields) => fields[1] === 'FLOCK' && Number(fields[5]?.split(':')[2]) === inode)
    .map((fields) => Number(fields[4]));
  for (let pid = process.pid; pid > 1; pid = parentOf(pid)) if (holders.includes(pid)) return true;
  return false;
}

function parentOf(pid: number): number {
  try {
    // "<pid> (<comm>) <state> <ppid> …": comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}
