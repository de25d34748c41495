import { useState } from 'preact/hooks';
import { seg, type Page } from '../lib/api';
import { parseIntField, parseList } from '../lib/forms';
import { useApp } from '../ui/context';
import { ConfirmDialog, Dialog } from '../ui/Dialog';
import { ErrorBox } from '../ui/ErrorBox';
import { type FormState, SelectField, TextField } from '../ui/fields';
import { ResourcePage, type ResourceSpec, type RowTools } from '../ui/ResourcePage';
import { listText, StatusToggle, statusCol } from './common';
import { emptyKeyForm, KeyFormFields, keyFormToBody, type KeyWithSecret } from './keyform';

export interface Master {
  id: number;
  name: string;
  group: string;
  namespaces: string[];
  default_namespace: string;
  max_child_keys: number;
  global_qps: number;
  status: string;
  epoch: number;
  key_prefix: string;
}

interface MasterWithSecret extends Master {
  master_key: string;
}

function IssueKeyDialog(props: { master: Master; onClose: () => void }) {
  const app = useApp();
  const [f, setF] = useState<FormState>(emptyKeyForm());
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: string, v: string | boolean) => setF((o) => ({ ...o, [k]: v }));
  return (
    <Dialog title={`Issue a key for master “${props.master.name}”`} onClose={props.onClose} wide testId="issue-dialog">
      <form
        class="form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setErr(null);
          setBusy(true);
          try {
            const body = keyFormToBody(f, { withMaster: false, editing: false });
            const k = await app.api.post<KeyWithSecret>(`/admin/masters/${seg(props.master.id)}/keys`, body);
            props.onClose();
            app.showSecret(`Key #${k.id} issued for ${props.master.name}`, k.key, 'Issued by an admin on the master’s behalf.');
          } catch (x) {
            setErr(x);
          } finally {
            setBusy(false);
          }
        }}
      >
        <ErrorBox error={err} />
        <KeyFormFields f={f} set={set} err={err} withMaster={false} editing={false} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy} data-testid="issue-save">
            Issue key
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function MastersPage() {
  const app = useApp();
  const [issuing, setIssuing] = useState<Master | null>(null);
  const [rotating, setRotating] = useState<{ row: Master; tools: RowTools<Master> } | null>(null);
  const [rotateErr, setRotateErr] = useState<unknown>(null);
  const spec: ResourceSpec<Master> = {
    title: 'Masters',
    noun: 'master',
    testId: 'masters',
    list: (api, cursor, limit) => api.get<Page<Master>>('/admin/masters', { cursor, limit }),
    rowKey: (r) => r.id,
    describe: (r) => r.name,
    searchFields: ['id', 'name', 'group', 'namespaces', 'key_prefix', 'status'],
    columns: [
      { key: 'id', title: 'ID', cls: 'num' },
      { key: 'name', title: 'Name' },
      { key: 'group', title: 'Group' },
      { key: 'namespaces', title: 'Namespaces', render: (r) => listText(r.namespaces) },
      { key: 'default_namespace', title: 'Default ns' },
      { key: 'max_child_keys', title: 'Max keys', cls: 'num' },
      { key: 'global_qps', title: 'QPS', cls: 'num' },
      { key: 'key_prefix', title: 'Key prefix', cls: 'mono' },
      { key: 'epoch', title: 'Epoch', cls: 'num' },
      statusCol<Master>(),
    ],
    emptyForm: () => ({
      name: '', group: 'default', namespaces: 'default', default_namespace: '', max_child_keys: '100', global_qps: '0', status: 'active',
    }),
    toForm: (r) => ({
      name: r.name, group: r.group, namespaces: r.namespaces.join('\n'), default_namespace: r.default_namespace,
      max_child_keys: String(r.max_child_keys), global_qps: String(r.global_qps), status: r.status,
    }),
    toBody: (f) => {
      const b: Record<string, unknown> = {
        name: f.name,
        group: String(f.group).trim() || 'default',
        namespaces: parseList(String(f.namespaces)),
        max_child_keys: parseIntField('max_child_keys', String(f.max_child_keys), 0, 2147483647),
        global_qps: parseIntField('global_qps', String(f.global_qps), 0, 2147483647),
        status: f.status,
      };
      if (String(f.default_namespace).trim()) b['default_namespace'] = String(f.default_namespace).trim();
      return b;
    },
    renderForm: (f, set, err) => (
      <div class="form-grid">
        <TextField label="Name" name="name" form={f} set={set} err={err} hint="Unique." />
        <TextField label="Group" name="group" form={f} set={set} err={err} />
        <TextField label="Namespaces" name="namespaces" form={f} set={set} err={err} multiline hint="One per line; no '.'." />
        <TextField label="Default namespace" name="default_namespace" form={f} set={set} err={err} hint="Blank: the first one." />
        <TextField label="Max child keys" name="max_child_keys" form={f} set={set} err={err} />
        <TextField label="Global QPS (0 = unlimited)" name="global_qps" form={f} set={set} err={err} />
        <SelectField label="Status" name="status" form={f} set={set} err={err} options={['active', 'suspended']} />
      </div>
    ),
    create: (api, body) => api.post<MasterWithSecret>('/admin/masters', body),
    afterCreate: (m) => {
      const x = m as MasterWithSecret;
      app.showSecret(`Master “${x.name}” created`, x.master_key, 'This is the master key: the tenant signs in to this console with it and manages its own keys.');
    },
    update: (api, r, body) => api.put(`/admin/masters/${seg(r.id)}`, body),
    remove: (api, r) => api.del(`/admin/masters/${seg(r.id)}`),
    rowActions: (r, tools) => (
      <>
        <button type="button" class="small" data-testid="issue-key" onClick={() => setIssuing(r)}>
          Issue key
        </button>
        <button type="button" class="small" onClick={() => app.navigate('keys', { master_id: String(r.id) })}>
          Keys
        </button>
        <button type="button" class="small" data-testid="rotate-master" onClick={() => setRotating({ row: r, tools })}>
          Rotate
        </button>
        <StatusToggle api={app.api} path={`/admin/masters/${seg(r.id)}`} status={r.status} off="suspended" tools={tools} />
      </>
    ),
    intro: <ErrorBox error={rotateErr} onDismiss={() => setRotateErr(null)} />,
  };
  return (
    <>
      <ResourcePage spec={spec} />
      {issuing ? <IssueKeyDialog master={issuing} onClose={() => setIssuing(null)} /> : null}
      {rotating ? (
        <ConfirmDialog
          title="Rotate the master key?"
          message={`Master “${rotating.row.name}” gets a new master key; the old one stops working at once. Its child keys are not affected.`}
          confirmLabel="Rotate"
          danger
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const { row: m, tools } = rotating;
            setRotating(null);
            try {
              const x = await app.api.post<MasterWithSecret>(`/admin/masters/${seg(m.id)}/rotate`);
              const { master_key: _secret, ...row } = x;
              tools.replace(row);
              app.showSecret(`Master “${x.name ?? m.name}” rotated`, x.master_key, 'The previous master key no longer works.');
            } catch (e) {
              setRotateErr(e);
            }
          }}
        />
      ) : null}
    </>
  );
}
