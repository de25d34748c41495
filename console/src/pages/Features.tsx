import { useEffect, useState } from 'preact/hooks';
import { parseFlagValue } from '../lib/forms';
import { matchesSearch } from '../lib/forms';
import { useApp } from '../ui/context';
import { ConfirmDialog } from '../ui/Dialog';
import { ErrorBox } from '../ui/ErrorBox';
import { DataTable } from '../ui/Table';

type Flags = Record<string, string | number | boolean>;

export function FeaturesPage() {
  const app = useApp();
  const [flags, setFlags] = useState<Flags>({});
  const [err, setErr] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [query, setQuery] = useState('');
  const [deleting, setDeleting] = useState<string | null>(null);

  const load = async () => {
    try {
      setFlags(await app.api.get<Flags>('/admin/features'));
      setErr(null);
    } catch (e) {
      setErr(e);
    }
  };
  useEffect(() => {
    void load();
  }, [app.api]);

  const put = async (patch: Record<string, unknown>) => {
    try {
      setFlags(await app.api.put<Flags>('/admin/features', patch));
      setErr(null);
      app.notify('flags saved');
      return true;
    } catch (e) {
      setErr(e);
      return false;
    }
  };

  const rows = Object.entries(flags)
    .map(([k, v]) => ({ name: k, value: v, type: typeof v }))
    .filter((r) => matchesSearch(r, query, ['name', 'value']))
    .sort((a, b) => a.name.localeCompare(b.name));

  return (
    <section data-testid="features">
      <div class="page-head">
        <h1>Feature flags</h1>
        <div class="toolbar">
          <input type="search" placeholder="Search flags…" value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </div>
      <p class="muted">Stored in PostgreSQL and pushed to Redis (meta:features). true/false and numbers keep their JSON type.</p>
      <ErrorBox error={err} onDismiss={() => setErr(null)} />
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = parseFlagValue(value);
          if (v === null) {
            setErr(new Error('a value is required (delete a flag with its Delete button)'));
            return;
          }
          if (await put({ [name.trim()]: v })) {
            setName('');
            setValue('');
          }
        }}
      >
        <input placeholder="flag name" value={name} data-testid="flag-name" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <input placeholder="value" value={value} data-testid="flag-value" onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="primary" data-testid="flag-save">
          Set flag
        </button>
      </form>
      <DataTable
        columns={[
          { key: 'name', title: 'Flag', cls: 'mono' },
          { key: 'value', title: 'Value', render: (r) => JSON.stringify(r.value) },
          { key: 'type', title: 'Type' },
          {
            key: 'actions',
            title: '',
            render: (r) => (
              <span class="row-actions">
                {typeof r.value === 'boolean' ? (
                  <button type="button" class="small" onClick={() => void put({ [r.name]: !r.value })}>
                    Toggle
                  </button>
                ) : null}
                <button
                  type="button"
                  class="small"
                  onClick={() => {
                    setName(r.name);
                    setValue(String(r.value));
                  }}
                >
                  Edit
                </button>
                <button type="button" class="small danger" onClick={() => setDeleting(r.name)}>
                  Delete
                </button>
              </span>
            ),
          },
        ]}
        rows={rows}
        rowKey={(r) => r.name}
        empty="No flags."
      />
      {deleting !== null ? (
        <ConfirmDialog
          title="Delete flag?"
          message={`Delete feature flag “${deleting}”? The balancer sees it disappear on the next refresh.`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await put({ [deleting]: null });
            setDeleting(null);
          }}
        />
      ) : null}
    </section>
  );
}
