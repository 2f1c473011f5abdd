// Kubernetes resource quantities (10Gi, 500Mi, 1.5T, 1000) as numbers of bytes, to compare sizes.
// client-node's quantityToScalar refuses decimals with a suffix (BigInt("1.5")), which
// schemas.quantity accepts.

const FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes in `quantity`, or undefined when it is not a quantity of this form. */
export function quantityBytes(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(quantity.trim());
  if (!match) return undefined;
  return Number(match[1]) * FACTORS[match[2] ?? '']!;
}
