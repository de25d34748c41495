import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Api, Page } from '../lib/api';
import { describeError } from '../lib/api';
import { changedFields } from '../lib/diff';
import { matchesSearch } from '../lib/forms';
import { useApp } from './context';
import { ConfirmDialog, Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import type { FormState } from './fields';
import { useCursorList } from './hooks';
import { type Column, DataTable } from './Table';

export interface RowTools<T = unknown> {
  reload: () => void;
  // Puts the API's answer for this row in its place (a rotation's new prefix), keeping
  // the loaded pages and the scroll position.
  replace: (row: T) => void;
  edit: () => void;
  remove: () => void;
  setError: (e: unknown) => void;
}

export interface ResourceSpec<T> {
  title: string;
  noun: string;
  testId: string;
  list: (api: Api, cursor: string | null, limit: number) => Promise<Page<T>>;
  listDeps?: unknown[];
  columns: Column<T>[];
  searchFields: string[];
  rowKey: (r: T) => string | number;
  describe: (r: T) => string;
  // Create/edit. toBody throws FieldError for input it cannot turn into JSON.
  emptyForm?: () => FormState;
  toForm?: (r: T) => FormState;
  toBody?: (f: FormState, editing: T | null) => Record<string, unknown>;
  renderForm?: (f: FormState, set: (k: string, v: string | boolean) => void, err: unknown, editing: T | null) => ComponentChildren;
  create?: (api: Api, body: Record<string, unknown>) => Promise<unknown>;
  afterCreate?: (created: unknown) => void;
  update?: (api: Api, r: T, body: Record<string, unknown>) => Promise<unknown>;
  remove?: (api: Api, r: T) => Promise<void>;
  rowActions?: (r: T, tools: RowTools<T>) => ComponentChildren;
  toolbar?: ComponentChildren;
  intro?: ComponentChildren;
}

// After a refused submit, the field the error names gets the focus (once it is drawn as
// bad), so the user lands where the fix is.
export function focusField(field: string | undefined) {
  if (!field) return;
  requestAnimationFrame(() => {
    const box = [...document.querySelectorAll<HTMLElement>('dialog[open] [data-field]')].find((f) => f.dataset['field'] === field);
    box?.querySelector<HTMLElement>('input, textarea, select')?.focus();
  });
}

export function ResourcePage<T extends object>(props: { spec: ResourceSpec<T> }) {
  const s = props.spec;
  const app = useApp();
  const list = useCursorList<T>((c, l) => s.list(app.api, c, l), [app.api, ...(s.listDeps ?? [])]);
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<{ row: T | null } | null>(null);
  const [form, setForm] = useState<FormState>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState<T | null>(null);
  const [actionErr, setActionErr] = useState<unknown>(null);

  const rows = query ? list.items.filter((r) => matchesSearch(r as Record<string, unknown>, query, s.searchFields)) : list.items;

  const openCreate = () => {
    setForm(s.emptyForm ? s.emptyForm() : {});
    setFormErr(null);
    setEditing({ row: null });
  };
  const openEdit = (r: T) => {
    setForm(s.toForm ? s.toForm(r) : {});
    setFormErr(null);
    setEditing({ row: r });
  };
  const set = (k: string, v: string | boolean) => setForm((f) => ({ ...f, [k]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!editing || !s.toBody) return;
    setFormErr(null);
    setBusy(true);
    try {
      const body = s.toBody(form, editing.row);
      if (editing.row) {
        const before = s.toBody(s.toForm!(editing.row), editing.row);
        const changes = changedFields(before, body);
        if (Object.keys(changes).length > 0) await s.update!(app.api, editing.row, changes);
        app.notify(Object.keys(changes).length ? `${s.noun} saved` : 'nothing changed');
      } else {
        const created = await s.create!(app.api, body);
        app.notify(`${s.noun} created`);
        s.afterCreate?.(created);
      }
      setEditing(null);
      void list.reload();
    } catch (err) {
      setFormErr(err);
      focusField(describeError(err).field);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid={s.testId}>
      <div class="page-head">
        <h1>{s.title}</h1>
        <div class="toolbar">
          <input
            type="search"
            placeholder={`Search loaded ${s.title.toLowerCase()}…`}
            value={query}
            data-testid="search"
            onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
          />
          {s.toolbar}
          <button type="button" onClick={() => void list.reload()} disabled={list.loading}>
            Refresh
          </button>
          {s.create ? (
            <button type="button" class="primary" data-testid="create" onClick={openCreate}>
              New {s.noun}
            </button>
          ) : null}
        </div>
      </div>
      {s.intro}
      <ErrorBox error={list.error} />
      <ErrorBox error={actionErr} onDismiss={() => setActionErr(null)} />
      <DataTable
        testId={`${s.testId}-table`}
        columns={[
          ...s.columns,
          {
            key: '__actions',
            title: '',
            cls: 'row-actions',
            render: (r: T) => (
              <span class="row-actions">
                {s.rowActions?.(r, {
                  reload: () => void list.reload(),
                  replace: (updated: T) =>
                    list.setItems((items) => items.map((x) => (s.rowKey(x) === s.rowKey(updated) ? updated : x))),
                  edit: () => openEdit(r),
                  remove: () => setDeleting(r),
                  setError: setActionErr,
                })}
                {s.update ? (
                  <button type="button" class="small" data-testid="edit" onClick={() => openEdit(r)}>
                    Edit
                  </button>
                ) : null}
                {s.remove ? (
                  <button type="button" class="small danger" data-testid="delete" onClick={() => setDeleting(r)}>
                    Delete
                  </button>
                ) : null}
              </span>
            ),
          },
        ]}
        rows={rows}
        rowKey={s.rowKey}
        empty={list.loading ? 'Loading…' : query ? 'No loaded row matches the search.' : `No ${s.title.toLowerCase()} yet.`}
      />
      <div class="more">
        {list.hasMore ? (
          <>
            <span class="muted">More on the server. </span>
            <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>
              Load more
            </button>
            <button type="button" onClick={() => void list.loadAll()} disabled={list.loading}>
              Load all (for search)
            </button>
          </>
        ) : (
          <span class="muted">{list.loading ? 'Loading…' : `All ${list.items.length} loaded.`}</span>
        )}
      </div>
      {editing && s.renderForm ? (
        <Dialog
          title={editing.row ? `Edit ${s.noun}: ${s.describe(editing.row)}` : `New ${s.noun}`}
          onClose={() => setEditing(null)}
          wide
          testId="form-dialog"
        >
          <form onSubmit={submit} class="form" noValidate>
            {formErr ? <ErrorBox error={formErr} /> : null}
            {s.renderForm(form, set, formErr, editing.row)}
            <div class="actions">
              <button type="button" onClick={() => setEditing(null)}>
                Cancel
              </button>
              <button type="submit" class="primary" disabled={busy} data-testid="save">
                {editing.row ? 'Save' : 'Create'}
              </button>
            </div>
          </form>
        </Dialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${s.noun}?`}
          message={`Delete ${s.noun} “${s.describe(deleting)}”? This cannot be undone.`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await s.remove!(app.api, deleting);
              app.notify(`${s.noun} deleted`);
              void list.reload();
            } catch (e) {
              setActionErr(e);
              app.notify(`delete failed: ${describeError(e).message}`);
            }
            setDeleting(null);
          }}
        />
      ) : null}
    </section>
  );
}
