// Display formatting. Pure; every function accepts what the API may send (null, absent).

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? intFmt.format(v) : '–';
}

// 1234 -> "1.2k", 3_400_000 -> "3.4M".
export function fmtCompact(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [n, u] of units) if (a >= n) return `${trim(v / n)}${u}`;
  return trim(v);
}

function trim(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

// Costs: null means "no price known" (unpriced requests), not zero.
export function fmtCost(v: unknown, currency = 'USD'): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const digits = Math.abs(v) >= 100 ? 2 : Math.abs(v) >= 1 ? 3 : 6;
  return `${v.toFixed(digits).replace(/(\.\d*?[1-9])0+$|\.0+$/, '$1')} ${currency}`;
}

export function fmtMs(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return v >= 10000 ? `${trim(v / 1000)} s` : `${Math.round(v)} ms`;
}

export function fmtPct(num: number, den: number): string {
  if (!den) return '–';
  const p = (num / den) * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(p >= 1 ? 1 : 2)}%`;
}

// ISO timestamp -> "2026-12-02 06:30:01" in UTC (operators compare with server logs).
export function fmtTime(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '–';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

// Long untrusted text for a table cell: at most `max` characters (the full value goes
// in a title attribute or the detail view).
export function clip(v: unknown, max = 80): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
