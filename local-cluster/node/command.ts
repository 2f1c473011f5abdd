// Short commands the node runs on the host (ip, iptables, openssl, umount, ctr), synchronously:
// the same teardown must work from a process 'exit' hook, which cannot await.
import { spawnSync } from 'node:child_process';

/** Runs a command to completion; throws with its stderr when it fails. Returns stdout. */
export function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    const why = (result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${command} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`}): ${why}`);
  }
  return result.stdout;
}

/** For teardown steps where "already gone" is success: never throws, says whether it worked. */
export function attempt(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

/** True when `command` is on PATH. */
export function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
