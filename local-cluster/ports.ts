import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * Asks the kernel for `count` distinct free ports on 127.0.0.1. All listeners are held open
 * until every port is known, so one call never returns the same port twice. A port can still be
 * taken by someone else before the binary binds it; the window is milliseconds.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
