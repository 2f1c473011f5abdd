// TLS served by the process itself (--tls-cert/--tls-key): TLS 1.2 at least, whatever Node's
// defaults were lowered to (NODE_OPTIONS=--tls-min-v1.0 included), and certificates reloaded
// when their files change (cert-manager renewals, Secret updates) without dropping connections:
// new handshakes get the new certificate through server.setSecureContext().
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Logger } from '../log.js';
import { watchContent, type ContentWatcher, type FileWatchOptions } from '../guards/file-watch.js';

export const TLS_MIN_VERSION = 'TLSv1.2';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Reads and checks the pair (a key that does not match the certificate throws here, at startup). */
export function loadTls(files: TlsFiles): SecureContextOptions & { cert: Buffer; key: Buffer } {
  const material = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext({ ...material, minVersion: TLS_MIN_VERSION });
  return { ...material, minVersion: TLS_MIN_VERSION };
}

/** Swaps in the new certificate and key whenever the files change and form a valid pair. */
export function reloadTlsOnChange(
  server: Server,
  files: TlsFiles,
  initial: { cert: Buffer; key: Buffer },
  logger: Logger,
  options: FileWatchOptions = {},
): ContentWatcher {
  return watchContent(
    [files.certFile, files.keyFile],
    [initial.cert, initial.key],
    ([cert, key]) => {
      try {
        // Checked first: mid-rotation the certificate may already be new and the key still old.
        createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
        server.setSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
        logger.info({ cert: files.certFile }, 'TLS certificate reloaded');
      } catch (err) {
        logger.warn({ cert: files.certFile, err: (err as Error).message }, 'new TLS certificate and key do not load; keeping the current ones');
      }
    },
    logger,
    options,
  );
}
