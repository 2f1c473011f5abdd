import { describe, expect, it } from 'vitest';
import { quantityBytes } from '../../src/cnpg/quantity.js';

describe('quantityBytes', () => {
  it.each([
    ['1Gi', 2 ** 30],
    ['500Mi', 500 * 2 ** 20],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['10G', 10e9],
    ['1000', 1000],
  ])('%s is %d bytes', (q, bytes) => expect(quantityBytes(q)).toBe(bytes));
  it('orders binary and decimal sizes correctly (1Gi > 1G > 500Mi)', () => {
    expect(quantityBytes('1Gi')!).toBeGreaterThan(quantityBytes('1G')!);
    expect(quantityBytes('1G')!).toBeGreaterThan(quantityBytes('500Mi')!);
  });
  it.each(['lots', '10 Gi', '-1Gi', 'Gi'])('%s is not a quantity', (q) => expect(quantityBytes(q)).toBeUndefined());
});
