// stop() must leave nothing behind: no process of the plane alive, no temp dir. Checked on a
// second plane started here, so the shared one keeps serving the other specs.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startControlPlane } from '../local-cluster/start.js';
import { clusterKind } from './helpers/cluster.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// On kind or an external cluster the toolchain may not be built; the teardown is what is tested.
describe.skipIf(clusterKind() !== 'local')('a second local control plane', () => {
  it('starts beside the first, and stop() kills its processes and removes its temp dir', async () => {
    // API-only: one node per machine, and the shared cluster may have it.
    const plane = await startControlPlane({ mode: 'api-only' });
    const pids = Object.values(plane.pids);
    expect(pids.every(isAlive)).toBe(true);
    expect(existsSync(plane.tempDir)).toBe(true);

    await plane.stop();

    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(plane.tempDir)).toBe(false);
    expect(plane.died.aborted, 'stopping is not dying').toBe(false);
  });
});
