import { useEffect, useState } from 'preact/hooks';
import { seg, type Page } from '../lib/api';
import { parseIntField } from '../lib/forms';
import { explain, type Resolution, summarize } from '../lib/resolution';
import { useApp } from '../ui/context';
import { ErrorBox } from '../ui/ErrorBox';
import { type FormState, SelectField, TextField } from '../ui/fields';
import { useDebounced } from '../ui/hooks';
import { ResourcePage, type ResourceSpec } from '../ui/ResourcePage';
import { StatusToggle, statusCol } from './common';

export interface Binding {
  id: number;
  namespace: string;
  public_model: string;
  route_group: string;
  selector_type: string;
  selector_value: string;
  weight: number;
  status: string;
  resolution?: Resolution;
}

function bindingBody(f: FormState): Record<string, unknown> {
  return {
    namespace: String(f.namespace).trim(),
    public_model: String(f.public_model),
    route_group: String(f.route_group).trim(),
    selector_type: f.selector_type,
    selector_value: String(f.selector_value),
    weight: parseIntField('weight', String(f.weight), 0, 1000000),
    status: f.status,
  };
}

export function ResolutionView(props: { resolution: Resolution }) {
  const sum = summarize(props.resolution);
  return (
    <div class="resolution" data-testid="resolution">
      <p class={sum.ok ? 'ok-text' : 'bad-text'}>{sum.ok ? '✓ ' : '✗ '}{sum.text}</p>
      {props.resolution.candidates.map((c) => (
        <div key={c.route_group} class="candidate">
          <h4>
            group <code>{c.route_group}</code>
            {c.error ? <span class="bad-text"> — {explain(c.error)}</span> : null}
          </h4>
          <table class="grid compact">
            <thead>
              <tr>
                <th>Provider</th>
                <th>Upstream model</th>
              </tr>
            </thead>
            <tbody>
              {c.providers.length === 0 ? (
                <tr>
                  <td colSpan={2} class="muted">
                    no provider in this group
                  </td>
                </tr>
              ) : (
                c.providers.map((p) => (
                  <tr key={p.provider_id}>
                    <td>
                      <bdi>{p.provider_name}</bdi> <span class="muted">#{p.provider_id}</span>
                    </td>
                    <td class={p.error ? 'bad-text' : 'mono'}>{p.error ? explain(p.error) : (p.upstream ?? '–')}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}

// What the selector resolves to, asked again 300 ms after the last keystroke.
function LivePreview(props: { form: FormState }) {
  const app = useApp();
  let body: Record<string, unknown> | null = null;
  try {
    body = bindingBody(props.form);
  } catch {
    body = null;
  }
  const key = useDebounced(body ? JSON.stringify(body) : '', 300);
  const [res, setRes] = useState<{ resolution: Resolution; warnings?: string[] } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    if (!key) return;
    const b = JSON.parse(key) as Record<string, unknown>;
    if (!b['namespace'] || !b['public_model'] || !b['route_group']) {
      setRes(null);
      setErr(null);
      return;
    }
    let live = true;
    app.api
      .post<{ resolution: Resolution; warnings?: string[] }>('/admin/bindings/resolve', b)
      .then((r) => {
        if (live) {
          setRes(r);
          setErr(null);
        }
      })
      .catch((e) => {
        if (live) {
          setErr(e);
          setRes(null);
        }
      });
    return () => {
      live = false;
    };
  }, [key, app.api]);
  return (
    <div class="preview">
      <h3>Live resolution</h3>
      {err ? <ErrorBox error={err} /> : null}
      {res ? (
        <>
          <ResolutionView resolution={res.resolution} />
          {(res.warnings ?? []).map((w) => (
            <p key={w} class="warn">
              {w}
            </p>
          ))}
        </>
      ) : !err ? (
        <p class="muted">Fill in namespace, public model and route group to see which upstream model each provider resolves to.</p>
      ) : null}
    </div>
  );
}

export function BindingsPage() {
  const app = useApp();
  const spec: ResourceSpec<Binding> = {
    title: 'Bindings',
    noun: 'binding',
    testId: 'bindings',
    list: (api, cursor, limit) => api.get<Page<Binding>>('/admin/bindings', { cursor, limit }),
    rowKey: (r) => r.id,
    describe: (r) => `${r.namespace}.${r.public_model} → ${r.route_group}`,
    searchFields: ['namespace', 'public_model', 'route_group', 'selector_type', 'selector_value', 'status'],
    columns: [
      { key: 'id', title: 'ID', cls: 'num' },
      { key: 'model', title: 'Model', render: (r) => `${r.namespace}.${r.public_model}` },
      { key: 'route_group', title: 'Route group' },
      { key: 'selector_type', title: 'Selector' },
      { key: 'selector_value', title: 'Value', cls: 'mono' },
      { key: 'weight', title: 'Weight', cls: 'num' },
      {
        key: 'resolution',
        title: 'Resolution',
        render: (r) => {
          if (!r.resolution) return <span class="muted">–</span>;
          const s = summarize(r.resolution);
          return <span class={s.ok ? 'ok-text' : 'bad-text'}>{s.text}</span>;
        },
      },
      statusCol<Binding>(),
    ],
    emptyForm: () => ({
      namespace: 'default', public_model: '', route_group: 'default', selector_type: 'exact', selector_value: '', weight: '1', status: 'active',
    }),
    toForm: (r) => ({
      namespace: r.namespace, public_model: r.public_model, route_group: r.route_group, selector_type: r.selector_type,
      selector_value: r.selector_value, weight: String(r.weight), status: r.status,
    }),
    toBody: (f) => bindingBody(f),
    renderForm: (f, set, err) => (
      <>
        <div class="form-grid">
          <TextField label="Namespace" name="namespace" form={f} set={set} err={err} />
          <TextField label="Public model" name="public_model" form={f} set={set} err={err} hint="What clients ask for." />
          <TextField label="Route group" name="route_group" form={f} set={set} err={err} hint="Provider group to route to." />
          <SelectField label="Selector type" name="selector_type" form={f} set={set} err={err} options={['exact', 'regex', 'normalize_exact']} />
          <TextField
            label="Selector value"
            name="selector_value"
            form={f}
            set={set}
            err={err}
            mono
            hint="exact / normalize_exact: the upstream name (blank = public model); regex: RE2, unanchored."
          />
          <TextField label="Weight" name="weight" form={f} set={set} err={err} />
          <SelectField label="Status" name="status" form={f} set={set} err={err} options={['active', 'disabled']} />
        </div>
        <LivePreview form={f} />
      </>
    ),
    create: (api, body) => api.post('/admin/bindings', body),
    update: (api, r, body) => api.put(`/admin/bindings/${seg(r.id)}`, body),
    remove: (api, r) => api.del(`/admin/bindings/${seg(r.id)}`),
    rowActions: (r, tools) => <StatusToggle api={app.api} path={`/admin/bindings/${seg(r.id)}`} status={r.status} tools={tools} />,
  };
  return <ResourcePage spec={spec} />;
}
