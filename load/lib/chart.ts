// A hand-written SVG chart: throughput and p99 latency against the number of clients (log x),
// one line per transport. No dependencies, renders on GitHub and in any browser.

export interface Series {
  label: string;
  color: string;
  /** [clients, value] pairs. */
  points: [number, number][];
  dashed?: boolean;
}

export interface Panel {
  title: string;
  unit: string;
  log: boolean;
  series: Series[];
}

const W = 420;
const H = 300;
const M = { left: 58, right: 26, top: 34, bottom: 46 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (v >= 10) return String(Math.round(v));
  if (v >= 1) return v.toFixed(1).replace(/\.0$/, '');
  return v.toPrecision(1);
}

/** Ticks for a linear axis from 0 to about `max`: 4–6 round steps. */
export function linearTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Decades covering [min, max] for a log axis. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.ceil(Math.log10(Math.max(max, min * 10, 1e-3)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return ticks;
}

function panel(p: Panel, xTicks: number[], offsetX: number): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const values = p.series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => Number.isFinite(v) && v > 0);
  const yTicks = p.log ? logTicks(Math.min(...values, 1), Math.max(...values, 1)) : linearTicks(Math.max(...values, 1));
  const yMin = p.log ? yTicks[0]! : 0;
  const yMax = yTicks[yTicks.length - 1]!;
  const xMin = Math.log10(xTicks[0]!);
  const xMax = Math.log10(xTicks[xTicks.length - 1]!);
  const x = (c: number) => M.left + ((Math.log10(c) - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (v: number) => {
    const t = p.log ? (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1) : (v - yMin) / (yMax - yMin || 1);
    return M.top + plotH - t * plotH;
  };
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(`<text x="${M.left + plotW / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle">${t.toLocaleString('en-US')}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 8}" text-anchor="middle">clients (log scale)</text>`);
  parts.push(`<text transform="translate(14,${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(p.unit)}${p.log ? ' (log scale)' : ''}</text>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const s of p.series) {
    const pts = s.points.filter(([c, v]) => c > 0 && Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
    if (pts.length === 0) continue;
    const path = pts.map(([c, v], i) => `${i ? 'L' : 'M'}${x(c).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    for (const [c, v] of pts)
      parts.push(
        `<circle cx="${x(c).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(s.label)}: ${c} clients, ${fmt(v)} ${esc(p.unit)}</title></circle>`,
      );
  }
  parts.push('</g>');
  return parts.join('\n');
}

/** Two panels side by side with one shared legend underneath. */
export function renderChart(title: string, panels: [Panel, Panel], xTicks = [1, 10, 100, 1000]): string {
  const labels = [...new Map(panels.flatMap((p) => p.series).map((s) => [s.label, s])).values()];
  const width = W * 2;
  const height = H + 50;
  const legend = labels
    .map((s, i) => {
      const lx = 20 + i * 170;
      return `<line x1="${lx}" x2="${lx + 24}" y1="${H + 14}" y2="${H + 14}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/><text x="${lx + 30}" y="${H + 18}">${esc(s.label)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="${height - 4}" text-anchor="middle" fill="#555">${esc(title)}</text>`,
    panel(panels[0], xTicks, 0),
    panel(panels[1], xTicks, W),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
