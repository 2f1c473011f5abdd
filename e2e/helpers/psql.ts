// PostgreSQL itself, read through pod exec and psql (the way an operator checks by hand): no
// network path from the test to the database is needed, and what psql prints is the database's
// own answer, not the tools'.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const run = promisify(execFile);

export interface PsqlOptions {
  /** Connect over the network to this host (a Service name) instead of the pod's own socket. */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

/**
 * Runs one SQL statement with psql inside an instance pod's `postgres` container; returns the
 * unaligned, tuples-only output (`psql -tAc`), trimmed. Throws with psql's stderr on failure.
 */
export async function psql(namespace: string, pod: string, sql: string, options: PsqlOptions = {}): Promise<string> {
  const conninfo = [
    options.host ? `host=${options.host}` : '',
    `port=${options.port ?? 5432}`,
    `dbname=${options.database ?? 'postgres'}`,
    options.user ? `user=${options.user}` : '',
    options.host ? 'sslmode=require connect_timeout=10' : '',
  ]
    .filter(Boolean)
    .join(' ');
  // The password goes through the environment of psql, never its command line.
  const env = options.password ? ['env', `PGPASSWORD=${options.password}`] : [];
  return podExec(namespace, pod, [...env, 'psql', conninfo, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]);
}

/** Runs a command in an instance pod's `postgres` container (kubectl exec); returns stdout, trimmed. */
export async function podExec(namespace: string, pod: string, command: string[]): Promise<string> {
  const { stdout } = await run(
    inject('kubectlPath'),
    ['--kubeconfig', inject('kubeconfigPath'), '-n', namespace, 'exec', pod, '-c', 'postgres', '--', ...command],
    { timeout: 60_000 },
  ).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`${command.find((word) => !word.includes('=')) ?? command[0]} in ${namespace}/${pod} failed: ${(error.stderr ?? error.message).trim()}`);
  });
  return stdout.trim();
}
