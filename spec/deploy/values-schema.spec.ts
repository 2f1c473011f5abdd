// values.schema.json is the contract of the chart's values: values.yaml must satisfy it, and
// it must refuse the mistakes people make (typos, wrong types, invalid names).
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, repoRoot } from '../../test-support/helm.js';

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

function errorsFor(values: unknown): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** The defaults with one value changed, as `--set a.b=c` would. */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(defaults);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
  return copy;
}

describe('values.schema.json', () => {
  it('is a draft-07 schema (the draft Helm 3 and Helm 4 both validate)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('accepts values.yaml', () => {
    expect(errorsFor(defaults)).toEqual([]);
  });

  it('describes every top-level value of values.yaml, and refuses unknown ones', () => {
    const described = Object.keys(schema.properties as object);
    expect(Object.keys(defaults).filter((k) => !described.includes(k))).toEqual([]);
    expect(errorsFor(withValue('replicas', 3)).join()).toMatch(/additional properties/);
    expect(errorsFor(withValue('rbac.namespace', 'x')).join()).toMatch(/additional properties/);
  });

  it.each([
    ['replicaCount', 0, /minimum|>= 1/],
    ['replicaCount', '2', /integer/],
    ['rbac.namespaces', ['Team_A'], /pattern/],
    ['rbac.clusterWide', 'yes', /boolean/],
    ['server.logLevel', 'loud', /allowed values/],
    ['server.extraArgs', ['read-only'], /pattern/],
    ['image.digest', 'latest', /pattern/],
    ['image.pullPolicy', 'Sometimes', /allowed values/],
    ['auth.tokens', ['short'], /fewer than 16/],
    ['service.sessionAffinity', 'Cookie', /allowed values/],
    ['metrics.port', 70000, /oneOf|maximum/],
    ['networkPolicy.egress.apiServer.cidrs', ['10.0.0.1'], /pattern/],
    ['podDisruptionBudget.minAvailable', 'half', /oneOf|pattern/],
    ['redis.url', 'localhost:6379', /pattern/],
  ])('refuses %s = %j', (path, value, message) => {
    expect(errorsFor(withValue(path, value)).join('; ')).toMatch(message);
  });

  it('needs tls.secretName when tls.enabled', () => {
    expect(errorsFor(withValue('tls', { enabled: true })).join()).toMatch(/secretName/);
    expect(errorsFor(withValue('tls', { enabled: true, secretName: 'cnpg-mcp-tls' }))).toEqual([]);
  });

  it('accepts the optional features switched on', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the chart's values are untyped YAML; the schema under test is what checks them
    const values = structuredClone(defaults) as Record<string, any>;
    values.rbac.namespaces = ['team-a', 'team-b'];
    values.tls = { enabled: true, secretName: 'srv-tls' };
    values.redis.existingSecret = { name: 'redis', key: 'url' };
    values.metrics.port = 9090;
    values.ingress.enabled = true;
    values.ingress.tls = [{ secretName: 'web-tls', hosts: ['cnpg-mcp.example.com'] }];
    values.serviceMonitor.enabled = true;
    values.topologySpreadConstraints = [];
    values.networkPolicy.ingress.namespaceSelectors = [{ matchLabels: { team: 'data' } }];
    expect(errorsFor(values)).toEqual([]);
  });
});

describe('Chart.yaml', () => {
  it('has appVersion = the package version (the default image tag)', () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });
});
