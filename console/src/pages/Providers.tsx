import type { components } from '../api/openapi';
import { seg, type Page } from '../lib/api';
import { parseIntField, parseList } from '../lib/forms';
import { useApp } from '../ui/context';
import { CheckField, SelectField, TextField } from '../ui/fields';
import { ResourcePage, type ResourceSpec } from '../ui/ResourcePage';
import { listText, StatusToggle, statusCol } from './common';

export interface Provider {
  id: number;
  name: string;
  type: string;
  base_url: string;
  api_key: string;
  google_project: string;
  google_location: string;
  group: string;
  models: string[];
  status: string;
  auto_ban: boolean;
  weight: number;
  priority: number;
}

type ProviderType = components['schemas']['ProviderType'];

// The types the form offers, checked against the API's own list (docs/openapi.yaml,
// generated into src/api/openapi.d.ts): one the API does not know fails `satisfies`, and
// one the API gained but the form lacks fails ProviderTypesOffered.
const TYPES = [
  'openai', 'compatible', 'anthropic', 'claude', 'claude-code', 'codex', 'gemini-cli', 'antigravity',
  'gemini', 'google', 'aistudio', 'vertex', 'vertex-express', 'custom',
] as const satisfies readonly ProviderType[];
type Assert<T extends true> = T;
export type ProviderTypesOffered = Assert<[Exclude<ProviderType, (typeof TYPES)[number]>] extends [never] ? true : false>;
export const PROVIDER_TYPES: string[] = [...TYPES];

export function ProvidersPage() {
  const app = useApp();
  const spec: ResourceSpec<Provider> = {
    title: 'Providers',
    noun: 'provider',
    testId: 'providers',
    list: (api, cursor, limit) => api.get<Page<Provider>>('/providers', { cursor, limit }),
    rowKey: (r) => r.id,
    describe: (r) => r.name,
    searchFields: ['id', 'name', 'type', 'group', 'base_url', 'models', 'status'],
    columns: [
      { key: 'id', title: 'ID', cls: 'num' },
      { key: 'name', title: 'Name' },
      { key: 'type', title: 'Type' },
      { key: 'group', title: 'Group' },
      { key: 'base_url', title: 'Base URL' },
      { key: 'models', title: 'Models', render: (r) => <span title={r.models.join('\n')}>{listText(r.models)}</span> },
      { key: 'api_key', title: 'API key', cls: 'mono' },
      { key: 'weight', title: 'Weight', cls: 'num' },
      { key: 'priority', title: 'Priority', cls: 'num' },
      statusCol<Provider>(),
    ],
    emptyForm: () => ({
      name: '', type: 'openai', base_url: '', api_key: '', group: 'default', models: '',
      weight: '1', priority: '0', status: 'active', auto_ban: true, google_project: '', google_location: '',
    }),
    toForm: (r) => ({
      name: r.name, type: r.type, base_url: r.base_url, api_key: '', group: r.group, models: r.models.join('\n'),
      weight: String(r.weight), priority: String(r.priority), status: r.status, auto_ban: r.auto_ban,
      google_project: r.google_project, google_location: r.google_location,
    }),
    toBody: (f) => {
      const b: Record<string, unknown> = {
        name: f.name,
        type: f.type,
        base_url: String(f.base_url).trim(),
        group: String(f.group).trim() || 'default',
        models: parseList(String(f.models)),
        weight: parseIntField('weight', String(f.weight), 0, 1000000),
        priority: parseIntField('priority', String(f.priority), -1000000, 1000000),
        status: f.status,
        auto_ban: f.auto_ban === true,
        google_project: String(f.google_project).trim(),
      };
      if (String(f.google_location).trim()) b['google_location'] = String(f.google_location).trim();
      // Write-only: blank keeps the stored key.
      if (String(f.api_key).trim()) b['api_key'] = String(f.api_key).trim();
      return b;
    },
    renderForm: (f, set, err, editing) => (
      <div class="form-grid">
        <TextField label="Name" name="name" form={f} set={set} err={err} hint="Unique; shown as plain text everywhere." />
        <SelectField label="Type" name="type" form={f} set={set} err={err} options={PROVIDER_TYPES} />
        <TextField label="Base URL" name="base_url" form={f} set={set} err={err} placeholder="https://api.openai.com" />
        <TextField
          label="API key"
          name="api_key"
          type="password"
          form={f}
          set={set}
          err={err}
          hint={editing ? `Stored: ${editing.api_key || '(none)'}. Leave blank to keep it.` : 'Write-only: the API shows it masked.'}
        />
        <TextField label="Group" name="group" form={f} set={set} err={err} hint="Provider group; created on first use." />
        <TextField label="Upstream models" name="models" form={f} set={set} err={err} multiline hint="One per line or comma separated." />
        <TextField label="Weight" name="weight" form={f} set={set} err={err} />
        <TextField label="Priority" name="priority" form={f} set={set} err={err} />
        <SelectField label="Status" name="status" form={f} set={set} err={err} options={['active', 'disabled']} />
        <CheckField label="Auto-ban on upstream errors" name="auto_ban" form={f} set={set} err={err} />
        <TextField label="Google project (vertex)" name="google_project" form={f} set={set} err={err} />
        <TextField label="Google location" name="google_location" form={f} set={set} err={err} placeholder="global" />
      </div>
    ),
    create: (api, body) => api.post('/providers', body),
    update: (api, r, body) => api.put(`/providers/${seg(r.id)}`, body),
    remove: (api, r) => api.del(`/providers/${seg(r.id)}`),
    rowActions: (r, tools) => <StatusToggle api={app.api} path={`/providers/${seg(r.id)}`} status={r.status} tools={tools} />,
  };
  return <ResourcePage spec={spec} />;
}
