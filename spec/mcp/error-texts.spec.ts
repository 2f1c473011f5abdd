// Issue #12, "Small": error texts that read as sentences ("Cannot get cluster logs", not "Cannot
// cluster logs"; no "(HTTP 401): HTTP 401"), default metrics without process_process_.
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classifyKubeError } from '../../src/cnpg/errors.js';
import { describeError } from '../../src/mcp/errors.js';
import { registry } from '../../src/metrics.js';
import { ALL_TOOLS } from '../../src/tools/index.js';

// Errors read "Cannot <title, first letter lowercased>": every title must start with a verb.
const VERBS = new Set([
  'List',
  'Get',
  'Take',
  'Schedule',
  'Delete',
  'Create',
  'Scale',
  'Resize',
  'Update',
  'Promote',
  'Restart',
  'Reload',
  'Hibernate',
  'Fence',
  'Destroy',
  'Query',
]);

describe('error texts', () => {
  it('every tool title starts with a verb, so "Cannot <title>" is a sentence', () => {
    const notVerbs = ALL_TOOLS.map((t) => t.title).filter((title) => !VERBS.has(title.split(' ')[0]!));
    expect(notVerbs).toEqual([]);
  });

  it('an answer without a Status body says what its code means instead of repeating it', () => {
    const text = describeError(classifyKubeError(new ApiException(401, 'Unauthorized', undefined, {})), 'list PostgreSQL clusters');
    expect(text).not.toContain('(HTTP 401): HTTP 401');
    expect(text).toMatch(/^Cannot list PostgreSQL clusters \(HTTP 401\): the Kubernetes API server did not accept the credentials/);
  });

  it('keeps the API server message when there is one', () => {
    const body = JSON.stringify({ kind: 'Status', message: 'clusters.postgresql.cnpg.io is forbidden: User "x" cannot list' });
    expect(describeError(classifyKubeError(new ApiException(403, 'Forbidden', body, {})), 'list PostgreSQL clusters')).toContain(
      'is forbidden: User "x" cannot list',
    );
  });
});

describe('metric names', () => {
  it('default process and Node.js metrics carry the prefix once', async () => {
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('cnpg_mcp_process_cpu_user_seconds_total');
    expect(names.some((n) => n.startsWith('cnpg_mcp_nodejs_'))).toBe(true);
    expect(names.filter((n) => n.includes('process_process_'))).toEqual([]);
  });
});
