// Binds a server and resolves once it listens, or rejects with the bind error (EADDRINUSE,
// EACCES): the main port and the --metrics-port listen the same way.
import type { Server } from 'node:net';

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
