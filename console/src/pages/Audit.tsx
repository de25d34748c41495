import { useState } from 'preact/hooks';
import type { Page } from '../lib/api';
import { changedOnly, diff, maskDeep } from '../lib/diff';
import { fmtInt, fmtTime } from '../lib/format';
import { useApp } from '../ui/context';
import { Dialog } from '../ui/Dialog';
import { ErrorBox } from '../ui/ErrorBox';
import { ALL_MAX, MORE_PAGE, useCursorList } from '../ui/hooks';
import { DataTable } from '../ui/Table';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  resource: string;
  resource_id: string;
  before: unknown;
  after: unknown;
  request_id: string;
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

function AuditDetail(props: { entry: AuditEntry; onClose: () => void }) {
  const [all, setAll] = useState(false);
  const changes = diff(props.entry.before, props.entry.after);
  const rows = all ? changes : changedOnly(changes);
  return (
    <Dialog title={`${props.entry.action} ${props.entry.resource} ${props.entry.resource_id}`} onClose={props.onClose} wide testId="audit-detail">
      <p>
        <strong>{props.entry.actor}</strong> at {fmtTime(props.entry.at)} UTC · request <code>{props.entry.request_id}</code>
      </p>
      <label class="check">
        <input type="checkbox" checked={all} onChange={(e) => setAll((e.currentTarget as HTMLInputElement).checked)} /> show unchanged
        fields
      </label>
      <table class="grid diff" data-testid="audit-diff">
        <thead>
          <tr>
            <th>Field</th>
            <th>Before</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                No field changed.
              </td>
            </tr>
          ) : (
            rows.map((c) => (
              <tr key={c.path} class={`d-${c.kind}`}>
                <td class="mono">{c.path}</td>
                <td class="mono before">{show(c.before)}</td>
                <td class="mono after">{show(c.after)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <details>
        <summary>Raw before / after (secrets masked)</summary>
        <pre class="mono pre">{JSON.stringify({ before: maskDeep(props.entry.before), after: maskDeep(props.entry.after) }, null, 2)}</pre>
      </details>
    </Dialog>
  );
}

export function AuditPage() {
  const app = useApp();
  const [filters, setFilters] = useState({ resource: '', actor: '', resource_id: '' });
  const [applied, setApplied] = useState(filters);
  const list = useCursorList<AuditEntry>(
    (cursor, limit) => app.api.get<Page<AuditEntry>>('/admin/audit', { ...applied, cursor, limit }),
    [app.api, JSON.stringify(applied)],
  );
  const [detail, setDetail] = useState<AuditEntry | null>(null);
  const set = (k: keyof typeof filters) => (e: Event) => setFilters((f) => ({ ...f, [k]: (e.currentTarget as HTMLInputElement).value }));
  return (
    <section data-testid="audit">
      <div class="page-head">
        <h1>Audit trail</h1>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label class="field small-field">
          <span class="field-label">Resource</span>
          <select value={filters.resource} onChange={set('resource')}>
            {['', 'provider', 'model', 'binding', 'feature', 'master', 'key'].map((r) => (
              <option key={r} value={r}>
                {r || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label class="field small-field">
          <span class="field-label">Actor</span>
          <input value={filters.actor} onInput={set('actor')} placeholder="admin-token, jwt:ops, master:3" />
        </label>
        <label class="field small-field">
          <span class="field-label">Resource ID</span>
          <input value={filters.resource_id} onInput={set('resource_id')} />
        </label>
        <div class="filter-actions">
          <button type="submit" class="primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorBox error={list.error} />
      <DataTable
        testId="audit-table"
        columns={[
          { key: 'at', title: 'When (UTC)', render: (r) => fmtTime(r.at) },
          { key: 'actor', title: 'Who' },
          { key: 'action', title: 'Action' },
          { key: 'resource', title: 'Resource' },
          { key: 'resource_id', title: 'ID' },
          {
            key: 'changes',
            title: 'Changed fields',
            render: (r) => {
              const c = changedOnly(diff(r.before, r.after)).map((x) => x.path);
              return c.length > 4 ? `${c.slice(0, 4).join(', ')} +${c.length - 4}` : c.join(', ');
            },
          },
        ]}
        rows={list.items}
        rowKey={(r) => r.id}
        onRowClick={setDetail}
        empty={list.loading ? 'Loading…' : 'No audit entry.'}
      />
      <div class="more">
        {list.hasMore ? (
          <>
            <span class="muted">{list.items.length} loaded. </span>
            <button type="button" data-testid="audit-more" onClick={() => void list.loadMore()} disabled={list.loading}>
              Load {MORE_PAGE} older
            </button>
            <button type="button" data-testid="audit-all" onClick={() => void list.loadAll()} disabled={list.loading}>
              Load all (up to {fmtInt(ALL_MAX)})
            </button>
          </>
        ) : (
          <span class="muted">{list.loading ? 'Loading…' : `${list.items.length} entries.`}</span>
        )}
      </div>
      {detail ? <AuditDetail entry={detail} onClose={() => setDetail(null)} /> : null}
    </section>
  );
}
