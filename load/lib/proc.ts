// What the server process costs, read from Linux /proc: CPU time (utime + stime, in clock ticks)
// and resident memory (VmRSS). The server runs as a separate process so these are its own figures,
// not the harness's.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ (getconf CLK_TCK): 100 on every common Linux. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of `pid` in microseconds (resolution 1/CLK_TCK s, 10 ms at 100 Hz). */
export function processCpuMicros(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * (1e6 / clockTicksPerSecond());
}

/**
 * utime + stime from the text of /proc/<pid>/stat. The command name (field 2) is in parentheses
 * and may itself hold spaces or parentheses, so fields are counted after the last ")".
 */
export function parseCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS of `pid` in MiB. */
export function processRssMb(pid: number): number {
  return parseRssKb(readFileSync(`/proc/${pid}/status`, 'utf8')) / 1024;
}

export function parseRssKb(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(match[1]);
}

/** Open file descriptors of `pid` (sockets included): a leak of connections shows here. */
export function processOpenFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface ProcessSample {
  at: number;
  cpuUs: number;
  rssMb: number;
}

export function sampleProcess(pid: number): ProcessSample {
  return { at: performance.now(), cpuUs: processCpuMicros(pid), rssMb: processRssMb(pid) };
}
