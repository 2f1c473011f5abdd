// Noticing that mounted files changed: the tokens file, the TLS certificate and key.
//
// Kubernetes updates a mounted Secret by writing a new timestamped directory (`..2026_…`), then
// renaming a temporary symlink over `..data`; the visible files are symlinks through `..data`.
// The files themselves are never written, so watching them misses the swap: the *directory* is
// watched instead, and, as a fallback for filesystems where fs.watch says nothing (NFS, some
// overlay setups), each file's content hash is polled every few seconds.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';

export interface FileWatchOptions {
  /** How often the content hash is compared. Default 5000 ms. */
  pollMs?: number;
  /** Whether to use fs.watch on the directories too. Default true (specs turn it off to prove the poll). */
  fsEvents?: boolean;
}

export interface ContentWatcher {
  /** Compares now (the next poll would anyway). Resolves when done. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Calls `onChange(contents)` with every file's content whenever any of them changed since the
 * last call. Reading `files` must have succeeded once before (the caller loaded them); a file
 * that cannot be read at a check is skipped until it can (mid-swap, or removed: the last good
 * content stays in force).
 */
export function watchContent(
  files: string[],
  initial: Buffer[],
  onChange: (contents: Buffer[]) => void,
  logger: Logger,
  options: FileWatchOptions = {},
): ContentWatcher {
  let last = hashOf(initial);
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let unreadableLogged = false;

  const compare = async () => {
    let contents: Buffer[];
    try {
      contents = await Promise.all(files.map((f) => readFile(f)));
    } catch (err) {
      if (!unreadableLogged) logger.warn({ files, code: (err as NodeJS.ErrnoException).code }, 'a watched file cannot be read; keeping what was loaded');
      unreadableLogged = true;
      return;
    }
    unreadableLogged = false;
    const hash = hashOf(contents);
    if (hash === last || stopped) return;
    last = hash;
    onChange(contents);
  };
  // One comparison at a time; events arriving meanwhile trigger one more afterwards.
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = compare()
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'checking watched files failed'))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void check();
        }
      });
    return running;
  };

  const timer = setInterval(() => void check(), options.pollMs ?? 5000);
  timer.unref();
  const watchers: FSWatcher[] = [];
  if (options.fsEvents ?? true) {
    for (const dir of new Set(files.map((f) => dirname(f)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => void check());
        watcher.on('error', () => watcher.close());
        watchers.push(watcher);
      } catch {
        // No events on this filesystem: the poll covers it.
      }
    }
  }
  return {
    check,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
    },
  };
}

function hashOf(contents: Buffer[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(createHash('sha256').update(c).digest());
  return hash.digest('hex');
}
