import { describe, expect, it } from 'vitest';
import { evaluate, HARD_THRESHOLDS, targetDefs, type BenchResults } from '../../load/lib/report.js';
import { allPassed, compare, evaluateThresholds, parseThreshold } from '../../load/lib/thresholds.js';

describe('parseThreshold', () => {
  it('reads metric, operator and number, with an optional scenario scope', () => {
    expect(parseThreshold('p99_ms<=20')).toEqual({ text: 'p99_ms<=20', scope: undefined, metric: 'p99_ms', op: '<=', value: 20 });
    expect(parseThreshold(' streamable-session-50:rps >= 6000 ')).toMatchObject({ scope: 'streamable-session-50', metric: 'rps', op: '>=', value: 6000 });
    expect(parseThreshold('long-session-*:rss_growth_pct<10.5')).toMatchObject({ scope: 'long-session-*', op: '<', value: 10.5 });
    expect(parseThreshold('*:errors==0').scope).toBeUndefined();
    expect(parseThreshold('echo_ratio>=2.5e-1').value).toBe(0.25);
  });

  it('refuses anything else with the expected form in the message', () => {
    for (const bad of ['p99<=', 'p99 ~ 3', 'rps>=fast', '=5', 'a:b:c<1']) expect(() => parseThreshold(bad), bad).toThrow(/metric<op>number/);
  });
});

describe('compare', () => {
  it('implements every operator', () => {
    expect([
      compare(1, '<', 2),
      compare(2, '<', 2),
      compare(2, '<=', 2),
      compare(3, '>', 2),
      compare(2, '>=', 2),
      compare(0, '==', 0),
      compare(1, '!=', 0),
    ]).toEqual([true, false, true, true, true, true, true]);
  });
});

describe('evaluateThresholds', () => {
  const scenarios = [
    { name: 'streamable-session-50', rps: 6500, p99_ms: 25, errors: 0, lost: 0 },
    { name: 'legacy-sse-50', rps: 3900, p99_ms: 12, errors: 2, lost: 0 },
    { name: 'idle-sessions', rss_mb: 480 },
  ];

  it('applies an unscoped rule to every scenario that reports the metric', () => {
    const outcomes = evaluateThresholds([parseThreshold('errors==0')], scenarios);
    expect(outcomes.map((o) => [o.scenario, o.actual, o.ok])).toEqual([
      ['streamable-session-50', 0, true],
      ['legacy-sse-50', 2, false],
    ]);
    expect(allPassed(outcomes)).toBe(false);
  });

  it('applies a scoped rule to the named scenario, or to those a trailing * matches', () => {
    expect(evaluateThresholds([parseThreshold('streamable-session-50:p99_ms<=20')], scenarios)).toEqual([
      { threshold: 'streamable-session-50:p99_ms<=20', scenario: 'streamable-session-50', actual: 25, ok: false },
    ]);
    // Only a trailing * is a glob: a leading one names no scenario.
    expect(evaluateThresholds([parseThreshold('*-50:rps>0')], scenarios)).toMatchObject([{ skipped: true }]);
    expect(evaluateThresholds([parseThreshold('legacy*:rps>=3000')], scenarios).map((o) => [o.scenario, o.ok])).toEqual([['legacy-sse-50', true]]);
  });

  it('fails a rule whose scenario did not measure the metric, and skips one whose scenario did not run', () => {
    const [unmeasured] = evaluateThresholds([parseThreshold('idle-sessions:cpu_us_per_call<=150')], [{ name: 'idle-sessions', cpu_us_per_call: null }]);
    expect(unmeasured).toMatchObject({ actual: null, ok: false });
    const [notRun] = evaluateThresholds([parseThreshold('soak:lost==0')], scenarios);
    expect(notRun).toMatchObject({ skipped: true, ok: true, scenario: 'soak' });
  });
});

describe('targets of a bench run', () => {
  const run = (mode: 'quick' | 'full', overrides: Partial<BenchResults> = {}) => {
    const results = {
      meta: { mode } as BenchResults['meta'],
      baseline: { rps: 20_000, clients: 50, p50_ms: 1, p99_ms: 5, cpu_us_per_call: 25 },
      scenarios: [
        {
          name: 'streamable-session-50',
          transport: 'streamable-session',
          clients: 50,
          rps: 6200,
          p50_ms: 5,
          p99_ms: 18,
          errors: 0,
          lost: 0,
          cpu_us_per_call: 140,
          rss_mb: 200,
          unit: 'call',
          group: 'main',
          echo_ratio: 0.31,
          echo_cpu_ratio: 5.6,
        },
        {
          name: 'long-session-legacy-sse',
          transport: 'legacy-sse',
          clients: 1,
          rps: 3000,
          p50_ms: 2,
          p99_ms: 9,
          errors: 0,
          lost: 1,
          cpu_us_per_call: 200,
          rss_mb: 300,
          unit: 'call',
          group: 'long-session',
          rss_growth_pct: 25,
        },
      ],
      idle_sessions: {
        count: 1000,
        opened: 1000,
        rss_mb: 300,
        rss_before_mb: 150,
        kb_per_session: 150,
        heap_before_mb: 60,
        heap_mb: 140,
        heap_kb_per_session: 80,
        open_s: 2,
        errors: 0,
        lost: 0,
      },
      api_requests_per_1000_reads: 0.5,
      api_requests: { source: 'server /metrics', api_requests: 1, reads: 2000, note: '' },
      ...overrides,
    } as Omit<BenchResults, 'targets' | 'thresholds'>;
    return evaluate(results, targetDefs(mode, results.idle_sessions?.count ?? 0));
  };

  it('weighs the streamable targets and the cache ratio, and marks missing scenarios as not run', () => {
    const { targets } = run('full');
    const byRule = (s: string) => targets.filter((t) => t.target.includes(s));
    // Every absolute target met, but CPU per call 5.6 × the echo's: the machine-normalised one is missed.
    expect(byRule('(session), 50 clients').map((t) => t.ok)).toEqual([true, true, true, true, false]);
    expect(byRule('(sessionless)').every((t) => t.skipped)).toBe(true);
    expect(byRule('requests per 1,000').map((t) => [t.actual, t.ok])).toEqual([[0.5, true]]);
    expect(byRule('RSS after 200,000')[0]).toMatchObject({ ok: false, actual: 25, scenario: 'long-session-legacy-sse' });
    expect(byRule('idle SSE')[0]).toMatchObject({ ok: true });
    expect(byRule('idle SSE')[0]!.informational).toBeUndefined();
  });

  it('shows full-run targets as information in a quick run', () => {
    const { targets } = run('quick');
    expect(targets.filter((t) => t.informational).map((t) => t.scenario)).toEqual(['idle-sessions', 'long-session-legacy-sse']);
  });

  it('fails the hard thresholds on any error or lost response, wherever it happened', () => {
    const { thresholds } = run('full');
    expect(HARD_THRESHOLDS).toEqual(['errors==0', 'lost==0']);
    expect(thresholds.filter((t) => !t.ok).map((t) => `${t.scenario} ${t.threshold}`)).toEqual(['long-session-legacy-sse lost==0']);
  });
});
