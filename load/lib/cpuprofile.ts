// Reads a V8 .cpuprofile (node --cpu-prof) and answers "where does a call's CPU go": self time per
// frame, time including callees per frame, and both per origin (our src/, the MCP SDK, express, …).

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameCost {
  frame: string;
  origin: string;
  /** Microseconds. */
  self: number;
  total: number;
}

export interface ProfileSummary {
  /** Microseconds sampled, idle excluded. */
  busyUs: number;
  idleUs: number;
  frames: FrameCost[];
  origins: { origin: string; self: number }[];
}

/** Where a frame's code comes from, from its script URL. */
export function originOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, unattributed)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) {
    // The last node_modules segment names the package that owns the code.
    const all = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
    const pkg = all.at(-1)![1]!;
    if (pkg.startsWith('@modelcontextprotocol/')) return `MCP SDK (${pkg.slice('@modelcontextprotocol/'.length)})`;
    return pkg;
  }
  const src = /\/(src|dist|load|e2e|spec)\/(.*)$/.exec(url);
  // dist/ is src/ compiled: the benchmark runs the built server.
  if (src) return `ours (${src[1] === 'dist' ? 'src' : src[1]}/)`;
  return url;
}

function frameName(cf: CpuProfile['nodes'][number]['callFrame']): string {
  const file = cf.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|load)\//, '$1/');
  return `${cf.functionName || '(anonymous)'} ${file ? `${file}:${cf.lineNumber + 1}` : ''}`.trim();
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const originOfKey = new Map<string, string>();
  const originSelf = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to it (as DevTools does).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const leaf = byId.get(profile.samples[i]!)!;
    const leafKey = frameName(leaf.callFrame);
    const leafOrigin = originOf(leaf.callFrame.url, leaf.callFrame.functionName);
    if (leafOrigin === 'idle') {
      idleUs += delta;
      continue;
    }
    busyUs += delta;
    self.set(leafKey, (self.get(leafKey) ?? 0) + delta);
    originSelf.set(leafOrigin, (originSelf.get(leafOrigin) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      const key = frameName(node.callFrame);
      originOfKey.set(key, originOf(node.callFrame.url, node.callFrame.functionName));
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + delta);
    }
  }
  const frames = [...total.keys()].map((frame) => ({ frame, origin: originOfKey.get(frame)!, self: self.get(frame) ?? 0, total: total.get(frame)! }));
  const origins = [...originSelf].map(([origin, s]) => ({ origin, self: s })).sort((a, b) => b.self - a.self);
  return { busyUs, idleUs, frames, origins };
}

/** The text report: self time by origin, top frames by self time, our frames and the SDK's by total time. */
export function renderSummary(summary: ProfileSummary, calls?: number, top = 25): string {
  const pct = (us: number) => `${((us / summary.busyUs) * 100).toFixed(1).padStart(5)} %`;
  const per = (us: number) => (calls ? `${(us / calls).toFixed(1).padStart(7)} µs/call` : '');
  const out: string[] = [];
  out.push(
    `busy ${(summary.busyUs / 1e6).toFixed(2)} s, idle ${(summary.idleUs / 1e6).toFixed(2)} s${calls ? `, ${calls} calls → ${(summary.busyUs / calls).toFixed(0)} µs busy per call` : ''}`,
  );
  out.push('', 'Self time by origin:');
  for (const o of summary.origins.slice(0, 15)) out.push(`  ${pct(o.self)} ${per(o.self)}  ${o.origin}`);
  out.push('', `Top ${top} frames by self time:`);
  for (const f of [...summary.frames].sort((a, b) => b.self - a.self).slice(0, top)) out.push(`  ${pct(f.self)} ${per(f.self)}  ${f.frame}  [${f.origin}]`);
  out.push('', `Top ${top} of our frames (src/) by time including callees:`);
  for (const f of summary.frames
    .filter((x) => x.origin.startsWith('ours (src'))
    .sort((a, b) => b.total - a.total)
    .slice(0, top))
    out.push(`  ${pct(f.total)} ${per(f.total)}  ${f.frame}`);
  out.push('', `Top ${top} frames of dependencies (MCP SDK, express, …) by time including callees:`);
  for (const f of summary.frames
    .filter((x) => !x.origin.startsWith('ours') && !['node core', 'native', 'gc', 'idle', 'program (native, unattributed)'].includes(x.origin))
    .sort((a, b) => b.total - a.total)
    .slice(0, top))
    out.push(`  ${pct(f.total)} ${per(f.total)}  ${f.frame}  [${f.origin}]`);
  return `${out.join('\n')}\n`;
}
