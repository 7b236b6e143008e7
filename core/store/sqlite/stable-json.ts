/** JSON with sorted object keys: two equal values always give the same text (apply idempotency). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const source = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(source).sort().map((k) => [k, source[k]]));
    }
    return v;
  });
}

export function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}
