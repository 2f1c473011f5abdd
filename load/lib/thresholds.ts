// Pass/fail rules over the figures a run produced, written the way k6 writes them:
//   "errors==0"                       every scenario that reports `errors`
//   "streamable-session:p99_ms<=20"   only the scenario of that name ("*" and a trailing "*" glob)
// A rule whose metric a matching scenario did not measure (null/undefined) fails: a target that
// was not measured is not met. A rule whose scope matches no scenario is reported as skipped.

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  /** The text it was parsed from, for reports. */
  text: string;
  /** Scenario name pattern; undefined = every scenario. */
  scope?: string;
  metric: string;
  op: Comparison;
  value: number;
}

export interface ThresholdOutcome {
  threshold: string;
  scenario: string;
  actual: number | null;
  ok: boolean;
  skipped?: boolean;
}

const RULE = /^(?:([A-Za-z0-9_.*-]+):)?([A-Za-z][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

export function parseThreshold(text: string): Threshold {
  const match = RULE.exec(text.trim());
  if (!match) throw new Error(`threshold "${text}" is not of the form [scenario:]metric<op>number, e.g. p99_ms<=20`);
  const [, scope, metric, op, value] = match;
  return { text: text.trim(), scope: scope === undefined || scope === '*' ? undefined : scope, metric: metric!, op: op as Comparison, value: Number(value) };
}

export function compare(actual: number, op: Comparison, expected: number): boolean {
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}

export function scopeMatches(scope: string | undefined, name: string): boolean {
  if (scope === undefined) return true;
  if (scope.endsWith('*')) return name.startsWith(scope.slice(0, -1));
  return scope === name;
}

type Figures = { name: string } & Record<string, unknown>;

/**
 * Evaluates each rule against each scenario it applies to. An unscoped rule applies only to the
 * scenarios that report its metric at all (an idle-sessions record has no p99), a scoped one to
 * every scenario it names.
 */
export function evaluateThresholds(rules: readonly Threshold[], scenarios: readonly Figures[]): ThresholdOutcome[] {
  const outcomes: ThresholdOutcome[] = [];
  for (const rule of rules) {
    const matching = scenarios.filter((s) => scopeMatches(rule.scope, s.name) && (rule.scope !== undefined || rule.metric in s));
    if (matching.length === 0) {
      outcomes.push({ threshold: rule.text, scenario: rule.scope ?? '*', actual: null, ok: true, skipped: true });
      continue;
    }
    for (const scenario of matching) {
      const raw = scenario[rule.metric];
      const actual = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
      outcomes.push({ threshold: rule.text, scenario: scenario.name, actual, ok: actual !== null && compare(actual, rule.op, rule.value) });
    }
  }
  return outcomes;
}

export function allPassed(outcomes: readonly ThresholdOutcome[]): boolean {
  return outcomes.every((o) => o.ok);
}

export function formatOutcome(o: ThresholdOutcome): string {
  if (o.skipped) return `  - ${o.threshold}: skipped (no scenario named ${o.scenario})`;
  return `  ${o.ok ? '✓' : '✗'} ${o.scenario}: ${o.threshold} (actual ${o.actual ?? 'not measured'})`;
}
