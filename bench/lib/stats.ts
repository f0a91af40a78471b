/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const min = (xs: readonly number[]) => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs: readonly number[]) => (xs.length ? Math.max(...xs) : NaN);

export function ms(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  if (Math.abs(x) >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (Math.abs(x) >= 10) return `${x.toFixed(0)} ms`;
  return `${x.toFixed(1)} ms`;
}

/** "1.23 s (1.10-1.40)": median with the range of the repetitions. */
export function spread(xs: readonly number[]): string {
  if (xs.length <= 1) return ms(median(xs));
  return `${ms(median(xs))} (${ms(min(xs))}-${ms(max(xs))})`;
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(2)}x`;
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
