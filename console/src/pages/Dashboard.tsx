import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmtCompact, fmtCost, fmtInt, fmtMs, fmtPct } from '../lib/format';
import { errorRate, type GroupBy, label, RANGES, type RangePreset, rangeFor, toSeries, topN, type UsageReport, type UsageRow } from '../lib/usage';
import { TimeChart } from '../ui/Chart';
import { useApp } from '../ui/context';
import { ErrorBox } from '../ui/ErrorBox';
import { useNames } from '../ui/names';

function Tile(props: { label: string; value: string; sub?: string; bad?: boolean }) {
  return (
    <div class={props.bad ? 'tile bad' : 'tile'}>
      <div class="tile-label">{props.label}</div>
      <div class="tile-value">{props.value}</div>
      {props.sub ? <div class="tile-sub">{props.sub}</div> : null}
    </div>
  );
}

function TopTable(props: { title: string; rows: UsageRow[]; currency: string; testId: string; names?: Map<string, string> | null }) {
  return (
    <div class="top" data-testid={props.testId}>
      <h3>{props.title}</h3>
      <table class="grid compact">
        <thead>
          <tr>
            <th>Name</th>
            <th class="num">Requests</th>
            <th class="num">Errors</th>
            <th class="num">Tokens</th>
            <th class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={5} class="muted">
                No traffic in this range.
              </td>
            </tr>
          ) : (
            props.rows.map((r) => (
              <tr key={r.group}>
                <td title={r.group}>{label(r.group, props.names)}</td>
                <td class="num">{fmtInt(r.requests)}</td>
                <td class="num">{fmtPct(r.errors ?? 0, r.requests ?? 0)}</td>
                <td class="num">{fmtCompact(r.total_tokens)}</td>
                <td class="num">{fmtCost(r.cost, props.currency)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

// The period lives in the URL (?range=7d), so it survives going to another page and back,
// a reload and a shared link.
export function DashboardPage(props: { params: Record<string, string> }) {
  const app = useApp();
  const admin = app.session.role === 'admin';
  const path = admin ? '/admin/usage' : '/master/usage';
  const asked = props.params['range'];
  const preset: RangePreset = RANGES.find((r) => r.id === asked)?.id ?? '24h';
  const setPreset = (p: RangePreset) => app.navigate('dashboard', { range: p === '24h' ? undefined : p });
  const [data, setData] = useState<Partial<Record<GroupBy, UsageReport>>>({});
  const [err, setErr] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const range = useMemo(() => rangeFor(preset, Date.now()), [preset, tick]);

  useEffect(() => {
    let live = true;
    const groups: GroupBy[] = admin ? [range.unit, 'master', 'model', 'provider'] : [range.unit, 'model', 'key'];
    setLoading(true);
    Promise.all(groups.map((g) => app.api.get<UsageReport>(path, { from: range.from, to: range.to, group_by: g })))
      .then((reports) => {
        if (!live) return;
        const d: Partial<Record<GroupBy, UsageReport>> = {};
        groups.forEach((g, i) => (d[g] = reports[i]));
        setData(d);
        setErr(null);
      })
      .catch((e) => live && setErr(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [app.api, range]);

  // Names for the ids the usage API groups by (masters, providers, a tenant's keys).
  const masterNames = useNames(app.api, admin ? '/admin/masters' : null);
  const providerNames = useNames(app.api, admin ? '/providers' : null);
  const keyNames = useNames(app.api, admin ? null : '/master/keys');

  const series = data[range.unit];
  const s = useMemo(() => (series ? toSeries(series.rows, range.from, range.to, range.unit) : null), [series]);
  const totals = series?.totals ?? {};
  const rate = errorRate(totals);
  const currency = 'USD';
  const reqSeries = useMemo(
    () =>
      s
        ? [
            { label: 'requests', values: s.requests, color: '#2f6fb3', fill: true },
            { label: 'errors', values: s.errors, color: '#c0392b' },
          ]
        : [],
    [s],
  );
  const tokSeries = useMemo(() => (s ? [{ label: 'tokens', values: s.tokens, color: '#6c4bb4', fill: true }] : []), [s]);
  const costSeries = useMemo(() => (s ? [{ label: `cost (${currency})`, values: s.cost, color: '#1e8449', fill: true }] : []), [s]);

  return (
    <section data-testid="dashboard">
      <div class="page-head">
        <h1>{admin ? 'Dashboard' : `Usage of ${app.session.label}`}</h1>
        <div class="toolbar">
          <select value={preset} data-testid="range" onChange={(e) => setPreset((e.currentTarget as HTMLSelectElement).value as RangePreset)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label} (per {r.unit})
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setTick((t) => t + 1)} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorBox error={err} />
      <div class="tiles">
        <Tile label="Requests" value={fmtInt(totals.requests)} />
        <Tile label="Errors" value={fmtInt(totals.errors)} sub={rate === null ? 'error rate –' : `error rate ${fmtPct(totals.errors ?? 0, totals.requests ?? 0)}`} bad={(rate ?? 0) > 0.05} />
        <Tile label="Tokens" value={fmtCompact(totals.total_tokens)} sub={`${fmtCompact(totals.prompt_tokens)} in · ${fmtCompact(totals.completion_tokens)} out`} />
        <Tile label="Cost" value={fmtCost(totals.cost, currency)} sub={totals.unpriced_requests ? `${fmtInt(totals.unpriced_requests)} unpriced requests` : undefined} />
        <Tile label="Latency (p95)" value={fmtMs(totals.latency_p95_ms)} sub={`p50 ${fmtMs(totals.latency_p50_ms)} · p99 ${fmtMs(totals.latency_p99_ms)}`} />
      </div>
      {s ? (
        <div class="charts">
          <div class="chart-box">
            <h3>Requests and errors per {range.unit}</h3>
            <TimeChart x={s.x} series={reqSeries} testId="chart-requests" />
          </div>
          <div class="chart-box">
            <h3>Tokens per {range.unit}</h3>
            <TimeChart x={s.x} series={tokSeries} />
          </div>
          <div class="chart-box">
            <h3>Cost per {range.unit}</h3>
            <TimeChart x={s.x} series={costSeries} />
          </div>
        </div>
      ) : null}
      <div class="tops">
        {admin ? <TopTable title="Top masters" rows={topN(data.master?.rows ?? [], 10)} currency={currency} testId="top-masters" names={masterNames} /> : null}
        <TopTable title="Top models" rows={topN(data.model?.rows ?? [], 10)} currency={currency} testId="top-models" />
        {admin ? (
          <TopTable title="Top providers" rows={topN(data.provider?.rows ?? [], 10)} currency={currency} testId="top-providers" names={providerNames} />
        ) : (
          <TopTable title="Top keys" rows={topN(data.key?.rows ?? [], 10)} currency={currency} testId="top-keys" names={keyNames} />
        )}
      </div>
    </section>
  );
}
