import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Page, type QueryValue, seg } from '../lib/api';
import { toCsv } from '../lib/csv';
import { clip, fmtCost, fmtInt, fmtMs, fmtTime } from '../lib/format';
import { localInputToIso, isoToLocalInput } from '../lib/forms';
import { useApp } from '../ui/context';
import { Dialog } from '../ui/Dialog';
import { ErrorBox } from '../ui/ErrorBox';
import { ALL_MAX, MORE_PAGE, useCursorList } from '../ui/hooks';
import { useNames } from '../ui/names';
import { nameLabel } from '../lib/names';
import { hrefFor } from '../lib/router';
import { DataTable } from '../ui/Table';

export interface LogItem {
  id?: number;
  request_id: string;
  ts?: string;        // stored logs (GET /admin/logs)
  timestamp?: string; // what the balancer posted, if a server echoes it under that name
  master_id?: number | null;
  key_id?: number | null;
  provider_id?: number | null;
  namespace?: string | null;
  model?: string | null;
  upstream_model?: string | null;
  status_code?: number | null;
  latency_ms?: number | null;
  total_tokens?: number | null;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  cost?: number | null;
  error_type?: string | null;
  error_message?: string | null;
  [k: string]: unknown;
}

const FILTERS = ['from', 'to', 'master_id', 'key_id', 'model', 'provider_id', 'status', 'request_id', 'error_type'] as const;
const CSV_COLUMNS = [
  'ts', 'request_id', 'master_id', 'key_id', 'provider_id', 'namespace', 'model', 'upstream_model', 'status_code',
  'latency_ms', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost', 'error_type', 'error_message',
];

// Filters from the URL (shareable), minus empties; from/to are RFC 3339.
export function logQuery(params: Record<string, string>, admin: boolean): Record<string, QueryValue> {
  const q: Record<string, QueryValue> = {};
  for (const f of FILTERS) {
    if (!admin && f === 'master_id') continue;
    const v = params[f]?.trim();
    if (v) q[f] = v;
  }
  return q;
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function LogDetail(props: { item: LogItem; onClose: () => void }) {
  const app = useApp();
  const admin = app.session.role === 'admin';
  const [full, setFull] = useState<LogItem | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    if (!admin) return;
    app.api
      .get<LogItem>(`/admin/logs/${seg(props.item.request_id)}`)
      .then(setFull)
      .catch(setErr);
  }, [props.item.request_id]);
  const item = full ?? props.item;
  return (
    <Dialog title={`Request ${clip(item.request_id, 60)}`} onClose={props.onClose} wide testId="log-detail">
      <ErrorBox error={err} />
      <dl class="kv">
        {Object.entries(item).map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd class={typeof v === 'object' && v !== null ? 'mono pre' : undefined}>
              {v === null || v === undefined ? '–' : typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v)}
            </dd>
          </Fragment>
        ))}
      </dl>
    </Dialog>
  );
}

export function LogsPage(props: { params: Record<string, string> }) {
  const app = useApp();
  const admin = app.session.role === 'admin';
  const path = admin ? '/admin/logs' : '/master/logs';
  const query = logQuery(props.params, admin);
  const qkey = JSON.stringify(query);
  // Names, not bare ids, in the master, key and provider columns (a tenant cannot list
  // providers: their ids stay as they are).
  const masterNames = useNames(app.api, admin ? '/admin/masters' : null);
  const keyNames = useNames(app.api, admin ? '/keys' : '/master/keys');
  const providerNames = useNames(app.api, admin ? '/providers' : null);
  const list = useCursorList<LogItem>((cursor, limit) => app.api.get<Page<LogItem>>(path, { ...query, cursor, limit }), [app.api, qkey]);
  const [draft, setDraft] = useState<Record<string, string>>(() => ({
    ...props.params,
    from: isoToLocalInput(props.params['from']),
    to: isoToLocalInput(props.params['to']),
  }));
  const [detail, setDetail] = useState<LogItem | null>(null);
  const [exportErr, setExportErr] = useState<unknown>(null);
  const [formErr, setFormErr] = useState<unknown>(null);

  const apply = (e: Event) => {
    e.preventDefault();
    try {
      const p: Record<string, string | undefined> = {};
      for (const f of FILTERS) p[f] = draft[f]?.trim() || undefined;
      p['from'] = localInputToIso(draft['from'] ?? '') ?? undefined;
      p['to'] = localInputToIso(draft['to'] ?? '') ?? undefined;
      setFormErr(null);
      // Same filters again: search again (new entries may have landed); otherwise the
      // URL changes and the page reloads with the new query.
      if (hrefFor('logs', p) === location.pathname + location.search) void list.reload();
      else app.navigate('logs', p);
    } catch (x) {
      setFormErr(x);
    }
  };
  const setD = (k: string) => (e: Event) => setDraft((d) => ({ ...d, [k]: (e.currentTarget as HTMLInputElement).value }));
  const input = (k: string, label: string, type = 'text', placeholder?: string) =>
    admin || k !== 'master_id' ? (
      <label class="field small-field">
        <span class="field-label">{label}</span>
        <input
          type={type as 'text'}
          name={k}
          value={draft[k] ?? ''}
          placeholder={placeholder}
          onInput={setD(k)}
          data-testid={`filter-${k}`}
        />
      </label>
    ) : null;

  return (
    <section data-testid="logs">
      <div class="page-head">
        <h1>{admin ? 'Logs' : 'My logs'}</h1>
        <div class="toolbar">
          {admin ? (
            <button
              type="button"
              data-testid="export-csv"
              onClick={async () => {
                try {
                  setExportErr(null);
                  download(await app.api.blob('/admin/logs/export', { ...query, format: 'csv' }, 'text/csv'), 'ezapi-logs.csv');
                } catch (e) {
                  setExportErr(e);
                }
              }}
            >
              Export CSV (server)
            </button>
          ) : null}
          <button
            type="button"
            data-testid="export-loaded"
            onClick={() => download(new Blob([toCsv(list.items, CSV_COLUMNS)], { type: 'text/csv' }), 'ezapi-logs-loaded.csv')}
          >
            Export loaded rows
          </button>
        </div>
      </div>
      <form class="filters" onSubmit={apply} data-testid="log-filters">
        {input('from', 'From (default: a day before To)', 'datetime-local')}
        {input('to', 'To', 'datetime-local')}
        {input('request_id', 'Request ID')}
        {input('master_id', 'Master ID')}
        {input('key_id', 'Key ID')}
        {input('model', 'Model')}
        {input('provider_id', 'Provider ID')}
        {input('status', 'Status', 'text', '502 or 5xx')}
        {input('error_type', 'Error type')}
        <div class="filter-actions">
          <button type="submit" class="primary" data-testid="log-search">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({});
              app.navigate('logs');
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorBox error={formErr} />
      <ErrorBox error={exportErr} onDismiss={() => setExportErr(null)} />
      <ErrorBox error={list.error} />
      <DataTable
        testId="logs-table"
        columns={[
          { key: 'ts', title: 'Time (UTC)', render: (r) => fmtTime(r.ts ?? r.timestamp) },
          { key: 'request_id', title: 'Request ID', cls: 'mono' },
          ...(admin ? [{ key: 'master_id', title: 'Master', render: (r: LogItem) => nameLabel(r.master_id, masterNames) }] : []),
          { key: 'key_id', title: 'Key', render: (r) => nameLabel(r.key_id, keyNames) },
          { key: 'model', title: 'Model' },
          { key: 'provider_id', title: 'Provider', render: (r) => nameLabel(r.provider_id, providerNames) },
          {
            key: 'status_code',
            title: 'Status',
            cls: 'num',
            render: (r) => <span class={(r.status_code ?? 0) >= 400 ? 'bad-text' : undefined}>{String(r.status_code ?? '–')}</span>,
          },
          { key: 'latency_ms', title: 'Latency', cls: 'num', render: (r) => fmtMs(r.latency_ms) },
          { key: 'total_tokens', title: 'Tokens', cls: 'num', render: (r) => fmtInt(r.total_tokens) },
          { key: 'cost', title: 'Cost', cls: 'num', render: (r) => (r.cost === undefined ? '–' : fmtCost(r.cost, '')) },
          { key: 'error_type', title: 'Error' },
        ]}
        rows={list.items}
        rowKey={(r) => r.id ?? `${r.request_id}|${r.ts ?? r.timestamp ?? ''}`}
        onRowClick={setDetail}
        empty={list.loading ? 'Loading…' : 'No log entry matches.'}
      />
      <div class="more">
        {list.hasMore ? (
          <>
            <span class="muted">{list.items.length} loaded. </span>
            <button type="button" data-testid="logs-more" onClick={() => void list.loadMore()} disabled={list.loading}>
              Load {MORE_PAGE} older
            </button>
            <button type="button" data-testid="logs-all" onClick={() => void list.loadAll()} disabled={list.loading}>
              Load all (up to {fmtInt(ALL_MAX)})
            </button>
          </>
        ) : (
          <span class="muted">{list.loading ? 'Loading…' : `${list.items.length} entries (end of results).`}</span>
        )}
      </div>
      {detail ? <LogDetail item={detail} onClose={() => setDetail(null)} /> : null}
    </section>
  );
}
