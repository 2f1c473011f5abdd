// Child processes of the control plane. Each runs in its own process group (detached), so a stop
// signal reaches anything it forks too, and writes stdout+stderr to one log file.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  name: string;
  pid: number;
  logPath: string;
  /** Aborted (reason: an Error naming the log) if the process exits before stop() is called. */
  died: AbortSignal;
  /** Resolves once the process has exited, for whatever reason. */
  exited: Promise<void>;
  /** SIGTERM to the group, SIGKILL after `graceMs`, then waits for the exit. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous last resort for process 'exit' handlers, which cannot wait. */
  killNow(): void;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startProcess({ name, command, args, logDir, env, cwd }: ProcessSpec): ManagedProcess {
  const logPath = join(logDir, `${name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env: env ?? process.env, cwd });
  closeSync(log); // the child holds its own descriptor
  // Unref: the plane must not keep a finished test process alive; stop() or the exit hook ends it.
  child.unref();

  const death = new AbortController();
  let stopping = false;
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    const onGone = (why: string) => {
      hasExited = true;
      if (!stopping) death.abort(new Error(`${name} ${why}; log: ${logPath}\n${tail(logPath)}`));
      resolve();
    };
    child.once('exit', (code, signal) => onGone(`exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => onGone(`failed to start: ${error.message}`));
  });
  const pid = child.pid ?? -1;

  let stopped: Promise<void> | undefined;
  return {
    name,
    pid,
    logPath,
    died: death.signal,
    exited,
    killNow() {
      stopping = true;
      if (!hasExited) signalGroup(pid, 'SIGKILL');
    },
    stop(graceMs = 5_000) {
      stopped ??= (async () => {
        stopping = true;
        if (hasExited) return;
        // Referenced again while stopping: once the SIGKILL timer has fired, the child's exit is
        // the only thing left to wait for, and an unreferenced child would let Node exit first.
        child.ref();
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        // The leader is gone; make sure nothing it forked outlives it.
        signalGroup(pid, 'SIGKILL');
      })();
      return stopped;
    },
  };
}

/** Signals the whole process group led by `pid`; a group that is already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The last lines of a log, for error messages: the reason a binary refused to start is there. */
export function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs a short-lived command (kubectl) to completion, output appended to `logPath`. */
export function runLogged(command: string, args: string[], logPath: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const log = openSync(logPath, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', log, log], env: env ?? process.env });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `code ${code}`}); log: ${logPath}\n${tail(logPath)}`));
    });
  }).finally(() => closeSync(log));
}
