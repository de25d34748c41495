// The Status page's summary: what an operator checks first (ready or not, how busy the
// pools are, how full the log queue is, what is waiting to be written, how long the pool
// has run), each figure with its unit, computed from /readyz and /admin/status.

type Doc = Record<string, unknown>;

export interface HealthItem {
  id: string;
  label: string;
  value: string;
  sub?: string;
  bad?: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Doc | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : undefined);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

// 0 s, 59 s, 6 min 5 s, 3 h 2 min, 4 d 1 h.
export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

// Numeric fields anywhere in the document whose name says they are a backlog (an outbox
// of changes not yet in Redis, a queue not yet written): name path -> value.
function backlogs(doc: Doc, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(doc)) {
    const o = obj(v);
    if (o) out.push(...backlogs(o, `${prefix}${k}.`));
    else if (/outbox|backlog|pending/.test(k) && num(v) !== undefined) out.push([`${prefix}${k}`, num(v)!]);
  }
  return out;
}

export function healthSummary(status: Doc | null, ready: Doc | null): HealthItem[] {
  const items: HealthItem[] = [];
  if (ready) {
    const checks = obj(ready['checks']) ?? {};
    const failing = Object.entries(checks)
      .filter(([, c]) => obj(c)?.['ok'] === false)
      .map(([k, c]) => (typeof obj(c)?.['error'] === 'string' ? `${k}: ${obj(c)!['error'] as string}` : k));
    const ok = ready['status'] === 'ready';
    const item: HealthItem = { id: 'ready', label: 'Ready', value: ok ? 'ready' : 'not ready', bad: !ok };
    if (failing.length) item.sub = `failing: ${failing.join('; ')}`;
    else if (Object.keys(checks).length) item.sub = `${Object.keys(checks).join(', ')} ok`;
    items.push(item);
  }
  if (!status) return items;
  const since = num(status['start_since']);
  if (since !== undefined) items.push({ id: 'uptime', label: 'Uptime', value: fmtDuration(since), sub: `generation ${status['generation'] ?? '–'}` });
  const pools = obj(status['pools']);
  const poolList: [string, Doc][] = pools
    ? Object.entries(pools).flatMap(([k, v]) => (obj(v) ? [[k, obj(v)!] as [string, Doc]] : []))
    : [['workers', status]];
  for (const [name, p] of poolList) {
    const busy = num(p['workers_busy']) ?? 0;
    const conf = num(p['workers_configured']) ?? 0;
    const idle = num(p['workers_idle']);
    const restarts = num(p['restarts_total']);
    const item: HealthItem = {
      id: `pool-${name}`,
      label: `${name} pool`,
      value: `${int(busy)} of ${int(conf)} busy`,
      bad: conf > 0 && busy >= conf,
    };
    const sub = [idle !== undefined ? `${int(idle)} idle` : '', restarts !== undefined ? `${int(restarts)} restarts` : ''].filter(Boolean);
    if (sub.length) item.sub = sub.join(' · ');
    items.push(item);
  }
  const q = obj(status['log_queue']);
  if (q) {
    const depth = num(q['depth_entries']) ?? 0;
    const cap = num(q['capacity_entries']);
    const pct = cap ? (depth / cap) * 100 : 0;
    const refused = num(q['refused_total']) ?? 0;
    items.push({
      id: 'queue',
      label: 'Log queue fill',
      value: cap ? `${pct < 1 && depth > 0 ? '<1' : Math.round(pct)} %` : `${int(depth)} entries`,
      sub: `${int(depth)} of ${cap !== undefined ? int(cap) : '–'} entries${refused ? ` · ${int(refused)} refused` : ''}`,
      bad: pct >= 80 || refused > 0,
    });
    const lag = num(q['lag_entries']);
    const f = obj(q['flusher']);
    if (lag !== undefined || f) {
      const up = f ? f['up'] === true : undefined;
      const age = f ? num(f['heartbeat_age_ms']) : undefined;
      const item: HealthItem = {
        id: 'flush-backlog',
        label: 'Not yet in PostgreSQL',
        value: `${int(lag ?? 0)} entries`,
        bad: up === false,
      };
      if (f) item.sub = `flusher ${up ? 'up' : 'down'}${age !== undefined ? `, heartbeat ${int(age)} ms ago` : ''}`;
      items.push(item);
    }
  }
  const sync = obj(status['sync']);
  if (sync) {
    const err = typeof sync['error'] === 'string' ? (sync['error'] as string) : '';
    const present = sync['redis_snapshot_present'] === true;
    const item: HealthItem = {
      id: 'redis',
      label: 'Redis snapshot',
      value: err ? 'unreachable' : present ? `version ${String(sync['redis_version'] ?? '–')}` : 'absent',
      bad: !!err || !present,
    };
    if (err) item.sub = err;
    items.push(item);
  }
  for (const [path, n] of backlogs(status)) {
    items.push({ id: `backlog-${path}`, label: path.replace(/[._]/g, ' '), value: `${int(n)}`, bad: n > 0 });
  }
  return items;
}
