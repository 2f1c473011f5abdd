// Whether a host name or address is this machine's loopback: the one definition, read by the
// config (auth may be off only on loopback), origin and OIDC checks, and the load harness
// (which only ever sends load to this machine).
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
