import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeError, classifyKubeError } from '../../src/cnpg/errors.js';
import { ToolError, describeError } from '../../src/mcp/errors.js';

const status = (code: number, message: string, causes: unknown[] = []) =>
  new ApiException(code, 'x', JSON.stringify({ kind: 'Status', message, details: { causes } }), {});

describe('classifyKubeError', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [422, 'invalid'],
    [500, 'other'],
  ])('classifies HTTP %i as %s by status code', (code, kind) => {
    const err = classifyKubeError(status(code, 'whatever'));
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(code);
  });

  it('keeps the API message and field causes of a 422', () => {
    const err = classifyKubeError(status(422, 'Cluster.postgresql.cnpg.io "x" is invalid', [{ field: 'spec.instances', message: 'should be >= 1' }]));
    expect(err.message).toContain('is invalid');
    expect(err.causes[0]).toEqual({ field: 'spec.instances', message: 'should be >= 1' });
  });

  it('recognises an unreachable API server through the error cause chain', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = classifyKubeError(new TypeError('fetch failed', { cause }));
    expect(err.kind).toBe('unreachable');
  });
});

describe('describeError', () => {
  it.each([
    ['forbidden', /RBAC/],
    ['unauthorized', /credentials/],
    ['not_found', /list_ tool/],
    ['conflict', /retry/],
    ['unreachable', /kubeconfig/],
  ] as const)('gives a %s error an actionable hint', (kind, hint) => {
    expect(describeError(new KubeError(kind, 'boom', 400), 'scale a cluster')).toMatch(hint);
  });

  it('names the rejected field of a 422', () => {
    const text = describeError(new KubeError('invalid', 'invalid', 422, [{ field: 'spec.storage.size', message: 'bad quantity' }]), 'create a cluster');
    expect(text).toContain('spec.storage.size: bad quantity');
    expect(text).toContain('HTTP 422');
  });

  it('hides the details of unexpected errors', () => {
    const text = describeError(new Error('secret token=abc at /x/y.ts:1'), 'do it');
    expect(text).not.toContain('abc');
    expect(text).toMatch(/internal error/);
  });

  it('passes tool errors through with their hint', () => {
    expect(describeError(new ToolError('nope', 'try this'), 'do it')).toBe('Cannot do it: nope\ntry this');
  });
});
