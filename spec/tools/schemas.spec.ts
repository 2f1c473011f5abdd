import { describe, expect, it } from 'vitest';
import { clusterName, k8sName, pgIdentifier, quantity, sixFieldCron, labelSelector } from '../../src/tools/schemas.js';

describe('input validation', () => {
  it.each(['pg', 'pg-main-1', 'a'.repeat(63)])('accepts the RFC 1123 name %s', (n) => expect(k8sName.safeParse(n).success).toBe(true));
  it.each(['', 'PG', 'pg_main', '-pg', 'pg-', 'a'.repeat(64), 'pg.main', 'pg main'])('rejects the name "%s"', (n) =>
    expect(k8sName.safeParse(n).success).toBe(false),
  );
  it('limits cluster names to 50 characters (the operator appends suffixes)', () => {
    expect(clusterName.safeParse('a'.repeat(50)).success).toBe(true);
    expect(clusterName.safeParse('a'.repeat(51)).success).toBe(false);
  });
  it.each(['1Gi', '10Gi', '1.5Ti', '500Mi', '1000'])('accepts the quantity %s', (q) => expect(quantity.safeParse(q).success).toBe(true));
  it.each(['lots', '-1Gi', '10 Gi', '10GB', 'Gi'])('rejects the quantity %s', (q) => expect(quantity.safeParse(q).success).toBe(false));
  it.each(['0 0 2 * * *', '*/30 * * * * *', '0 30 1 * * 1-5'])('accepts the six-field cron %s', (c) => expect(sixFieldCron.safeParse(c).success).toBe(true));
  it.each(['0 2 * * *', 'every day', '0 0 25 * * *', '* * * * * * *'])('rejects the cron %s', (c) => {
    const r = sixFieldCron.safeParse(c);
    expect(r.success).toBe(false);
  });
  it('explains a five-field cron', () => {
    const r = sixFieldCron.safeParse('0 2 * * *');
    expect(r.error?.issues[0]?.message).toMatch(/six fields/);
  });
  it.each(['app', 'app_owner', '_x'])('accepts the PostgreSQL identifier %s', (n) => expect(pgIdentifier.safeParse(n).success).toBe(true));
  it.each(['App', '1app', 'app-owner', 'a;drop'])('rejects the PostgreSQL identifier %s', (n) => expect(pgIdentifier.safeParse(n).success).toBe(false));
  it('accepts label selectors and rejects injection attempts', () => {
    expect(labelSelector.safeParse('team=payments,tier!=cache').success).toBe(true);
    expect(labelSelector.safeParse('env in (prod,staging)').success).toBe(true);
    expect(labelSelector.safeParse('a=b&fieldSelector=x').success).toBe(false);
  });
});
