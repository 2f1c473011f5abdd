// A throwaway redis-server on 127.0.0.1 and a free port, for the specs that prove state shared
// across replicas. Skipped (with the reason in the report) where redis-server is not installed;
// .ci/run installs it (Debian package redis-server).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { freePorts } from '../local-cluster/ports.js';

export const redisAvailable = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const [port] = await freePorts(1);
  // In memory only: no dump file, no append-only file, nothing left behind.
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
    child.stdout!.on('data', () => {
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * One redis-server for a describe block, emptied before each test: `redis()` is its handle,
 * `admin()` a connection the spec may use to look inside.
 */
export function useTestRedis(): { redis(): TestRedis; admin(): Redis } {
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    await admin!.flushall();
  });
  return { redis: () => redis!, admin: () => admin! };
}
