// Nothing the control plane starts may outlive the Node process that started it: planes register
// here, and exit, signal and fatal-error hooks stop whatever is still registered.

export interface Stoppable {
  stop(): Promise<void>;
  /** Synchronous: SIGKILL and rm -rf, for the 'exit' event, which cannot await. */
  killNow(): void;
}

const live = new Set<Stoppable>();
let hooksInstalled = false;

/** Registers a running plane; returns the function that unregisters it once it has stopped. */
export function trackForCleanup(entry: Stoppable): () => void {
  installHooks();
  live.add(entry);
  return () => live.delete(entry);
}

function killAllNow(): void {
  for (const entry of live) {
    try {
      entry.killNow();
    } catch {
      // keep going: the other planes still need killing
    }
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  // The monitor sees a fatal error without changing how the process handles it. If something
  // else (a test runner) handles uncaught exceptions, the process lives on, and so do the planes.
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) killAllNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = async () => {
      await Promise.allSettled([...live].map((entry) => entry.stop()));
      // Adding a listener cancels Node's default "exit on signal". When ours is the only one,
      // restore that default and re-raise, so the exit status still says "killed by SIGINT".
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
