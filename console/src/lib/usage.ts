// Usage API shapes and the pure transforms the dashboard draws from them.
import { nameLabel } from './names';

export type GroupBy = 'master' | 'key' | 'model' | 'provider' | 'day' | 'hour';

export interface UsageMetrics {
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number | null;
  unpriced_requests: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
}

export interface UsageRow extends Partial<UsageMetrics> {
  group: string;
  bucket?: string;
  master_id?: number;
  key_id?: number;
  model?: string;
  provider_id?: number;
}

export interface UsageReport {
  from: string;
  to: string;
  group_by: GroupBy;
  rows: UsageRow[];
  totals: Partial<UsageMetrics>;
}

export type RangePreset = '1h' | '24h' | '7d' | '30d';

export const RANGES: { id: RangePreset; label: string; hours: number; unit: 'hour' | 'day' }[] = [
  { id: '1h', label: 'last hour', hours: 1, unit: 'hour' },
  { id: '24h', label: 'last 24 hours', hours: 24, unit: 'hour' },
  { id: '7d', label: 'last 7 days', hours: 24 * 7, unit: 'hour' },
  { id: '30d', label: 'last 30 days', hours: 24 * 30, unit: 'day' },
];

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export function floorTo(ms: number, unit: 'hour' | 'day'): number {
  const step = unit === 'hour' ? HOUR : DAY;
  return Math.floor(ms / step) * step;
}

// from/to for a preset: `to` is the end of the current bucket so the bucket in progress
// is included; `from` is aligned to a bucket start.
export function rangeFor(preset: RangePreset, nowMs: number): { from: string; to: string; unit: 'hour' | 'day' } {
  const r = RANGES.find((x) => x.id === preset) ?? RANGES[1]!;
  const step = r.unit === 'hour' ? HOUR : DAY;
  const to = floorTo(nowMs, r.unit) + step;
  const from = floorTo(nowMs - r.hours * HOUR, r.unit) + (r.unit === 'hour' ? HOUR : 0);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), unit: r.unit };
}

export interface Series {
  x: number[]; // unix seconds, bucket starts
  requests: number[];
  errors: number[];
  tokens: number[];
  cost: (number | null)[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

// One point per bucket between from and to (missing buckets are zero, so a quiet hour
// shows as zero instead of a line drawn across it).
export function toSeries(rows: UsageRow[], from: string, to: string, unit: 'hour' | 'day'): Series {
  const step = unit === 'hour' ? HOUR : DAY;
  const byStart = new Map<number, UsageRow>();
  for (const r of rows) {
    const key = r.bucket ?? r.group;
    const t = Date.parse(key);
    if (Number.isNaN(t)) continue;
    byStart.set(floorTo(t, unit), r);
  }
  const s: Series = { x: [], requests: [], errors: [], tokens: [], cost: [] };
  const start = floorTo(Date.parse(from), unit);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end)) return s;
  for (let t = start; t < end && s.x.length < 5000; t += step) {
    const r = byStart.get(t);
    s.x.push(t / 1000);
    s.requests.push(num(r?.requests));
    s.errors.push(num(r?.errors));
    s.tokens.push(num(r?.total_tokens));
    s.cost.push(r && typeof r.cost === 'number' ? r.cost : r && r.cost === null ? null : 0);
  }
  return s;
}

// The n largest rows by a metric (ties by group name, for a stable order).
export function topN(rows: UsageRow[], n: number, metric: keyof UsageMetrics = 'requests'): UsageRow[] {
  return [...rows]
    .sort((a, b) => num(b[metric]) - num(a[metric]) || a.group.localeCompare(b.group))
    .slice(0, n);
}

export function errorRate(m: Partial<UsageMetrics> | undefined): number | null {
  const req = num(m?.requests);
  return req > 0 ? num(m?.errors) / req : null;
}

// "acme (#3)" when the id has a known name; long names clipped (full text in the title).
// A group's name: as is for models; for ids (masters, keys, providers) the name from
// `names`, "#id (deleted)" when the loaded list lacks it.
export function label(group: string, names?: Map<string, string> | null): string {
  if (group === '') return '(none)';
  if (names === undefined) return group.length > 40 ? `${group.slice(0, 39)}…` : group;
  return nameLabel(group, names);
}
