import { useState } from 'preact/hooks';
import { seg, type Page } from '../lib/api';
import { fmtTime } from '../lib/format';
import { useApp } from '../ui/context';
import { useNames } from '../ui/names';
import { nameLabel } from '../lib/names';
import { ConfirmDialog } from '../ui/Dialog';
import { ErrorBox } from '../ui/ErrorBox';
import { ResourcePage, type ResourceSpec, type RowTools } from '../ui/ResourcePage';
import { emptyKeyForm, type Key, KeyFormFields, keyFormToBody, type KeyWithSecret, keyToForm, modelLimitsText } from './keyform';
import { listText, StatusToggle, statusCol } from './common';

export function KeysPage(props: { params: Record<string, string> }) {
  const app = useApp();
  const admin = app.session.role === 'admin';
  const masterFilter = admin ? (props.params['master_id'] ?? '') : '';
  const [statusFilter, setStatusFilter] = useState('');
  const [rotating, setRotating] = useState<{ row: Key; tools: RowTools<Key> } | null>(null);
  const [rotateErr, setRotateErr] = useState<unknown>(null);
  const base = admin ? '/keys' : '/master/keys';
  const masterNames = useNames(app.api, admin ? '/admin/masters' : null);

  const spec: ResourceSpec<Key> = {
    title: admin ? 'Keys' : 'My keys',
    noun: 'key',
    testId: 'keys',
    listDeps: [masterFilter, statusFilter],
    list: (api, cursor, limit) =>
      api.get<Page<Key>>(base, { cursor, limit, master_id: masterFilter || undefined, status: statusFilter || undefined }),
    rowKey: (r) => r.id,
    describe: (r) => `${r.name || '(unnamed)'} #${r.id}`,
    searchFields: ['id', 'master_id', 'name', 'group', 'key_prefix', 'namespaces', 'model_limits', 'status', 'issued_by'],
    columns: [
      { key: 'id', title: 'ID', cls: 'num' },
      ...(admin
        ? [{
            key: 'master_id',
            title: 'Master',
            render: (r: Key) => (
              <a
                href="#"
                onClick={(e) => {
                  e.preventDefault();
                  app.navigate('keys', { master_id: String(r.master_id) });
                }}
              >
                {nameLabel(r.master_id, masterNames)}
              </a>
            ),
          }]
        : []),
      { key: 'name', title: 'Name' },
      { key: 'key_prefix', title: 'Prefix', cls: 'mono' },
      { key: 'namespaces', title: 'Namespaces', render: (r) => listText(r.namespaces) || 'all' },
      { key: 'model_limits', title: 'Models', render: (r) => modelLimitsText(r) },
      { key: 'allow_ips', title: 'IPs', render: (r) => listText(r.allow_ips) || 'any' },
      { key: 'expires_at', title: 'Expires', render: (r) => (r.expires_at ? fmtTime(r.expires_at) : 'never') },
      { key: 'issued_by', title: 'Issued by' },
      statusCol<Key>(),
    ],
    emptyForm: () => emptyKeyForm(masterFilter),
    toForm: keyToForm,
    toBody: (f, editing) => keyFormToBody(f, { withMaster: admin, editing: editing !== null, tenant: !admin }),
    renderForm: (f, set, err, editing) => (
      <KeyFormFields f={f} set={set} err={err} withMaster={admin} editing={editing !== null} tenant={!admin} />
    ),
    create: (api, body) => api.post<KeyWithSecret>(base, body),
    afterCreate: (k) => {
      const key = k as KeyWithSecret & { warnings?: string[] };
      const warn = Array.isArray(key.warnings) && key.warnings.length ? ` Warning: ${key.warnings.join('; ')}` : '';
      app.showSecret(`Key #${key.id} created`, key.key, `Prefix ${key.key_prefix}; master ${key.master_id}.${warn}`);
    },
    // A master may change name, status and model limits of its own keys; the form offers
    // nothing else (TENANT_EDITABLE).
    update: (api, r, body) => api.put(`${base}/${seg(r.id)}`, body),
    remove: (api, r) => api.del(`${base}/${seg(r.id)}`),
    rowActions: admin
      ? (r, tools) => (
          <>
            <StatusToggle api={app.api} path={`/keys/${seg(r.id)}`} status={r.status} tools={tools} />
            <button type="button" class="small" data-testid="rotate" onClick={() => setRotating({ row: r, tools })}>
              Rotate
            </button>
          </>
        )
      : (r, tools) => <StatusToggle api={app.api} path={`${base}/${seg(r.id)}`} status={r.status} tools={tools} />,
    toolbar: (
      <>
        {masterFilter ? (
          <span class="chip">
            master {masterFilter}{' '}
            <button type="button" class="icon" aria-label="Clear master filter" onClick={() => app.navigate('keys')}>
              ×
            </button>
          </span>
        ) : null}
        <select value={statusFilter} aria-label="Status filter" onChange={(e) => setStatusFilter((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">any status</option>
          <option value="active">active</option>
          <option value="disabled">disabled</option>
        </select>
      </>
    ),
    intro: <ErrorBox error={rotateErr} onDismiss={() => setRotateErr(null)} />,
  };
  return (
    <>
      <ResourcePage spec={spec} />
      {rotating ? (
        <ConfirmDialog
          title="Rotate key?"
          message={`Key “${rotating.row.name || rotating.row.id}” gets a new secret; the old one stops working at once.`}
          confirmLabel="Rotate"
          danger
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            try {
              const k = await app.api.post<KeyWithSecret>(`/keys/${seg(rotating.row.id)}/rotate`);
              setRotating(null);
              const { key: _secret, ...row } = k;
              rotating.tools.replace(row);
              app.showSecret(`Key #${k.id} rotated`, k.key, 'The previous secret no longer works.');
            } catch (e) {
              setRotating(null);
              setRotateErr(e);
              app.notify(`rotation failed: ${e instanceof Error ? e.message : String(e)}`);
            }
          }}
        />
      ) : null}
    </>
  );
}
