import { seg, type Page } from '../lib/api';
import { fmtInt } from '../lib/format';
import { parseIntField, parseOptionalNumber } from '../lib/forms';
import { CheckField, SelectField, TextField } from '../ui/fields';
import { ResourcePage, type ResourceSpec } from '../ui/ResourcePage';

export interface Model {
  id: number;
  name: string;
  namespace: string;
  public_model: string;
  kind: string;
  context_window: number;
  max_output_tokens: number;
  input_price?: number | null;
  output_price?: number | null;
  cache_read_price?: number | null;
  currency?: string;
  supports_vision: boolean;
  supports_functions: boolean;
  supports_tool_choice: boolean;
  supports_fim: boolean;
  supports_stream: boolean;
}

const FLAGS = ['supports_stream', 'supports_functions', 'supports_tool_choice', 'supports_vision', 'supports_fim'] as const;
const PRICES = ['input_price', 'output_price', 'cache_read_price'] as const;

const price = (v: unknown) => (typeof v === 'number' ? String(v) : '');

export function ModelsPage() {
  const spec: ResourceSpec<Model> = {
    title: 'Models',
    noun: 'model',
    testId: 'models',
    list: (api, cursor, limit) => api.get<Page<Model>>('/models', { cursor, limit }),
    rowKey: (r) => r.id,
    describe: (r) => r.name,
    searchFields: ['name', 'kind', 'currency'],
    columns: [
      { key: 'name', title: 'Name (namespace.model)' },
      { key: 'kind', title: 'Kind' },
      { key: 'context_window', title: 'Context', cls: 'num', render: (r) => fmtInt(r.context_window) },
      { key: 'input_price', title: 'Input price', cls: 'num', render: (r) => price(r.input_price) || '–' },
      { key: 'output_price', title: 'Output price', cls: 'num', render: (r) => price(r.output_price) || '–' },
      { key: 'cache_read_price', title: 'Cache read', cls: 'num', render: (r) => price(r.cache_read_price) || '–' },
      { key: 'currency', title: 'Currency' },
      {
        key: 'caps',
        title: 'Capabilities',
        render: (r) => FLAGS.filter((k) => r[k]).map((k) => k.replace('supports_', '')).join(', '),
      },
    ],
    emptyForm: () => ({
      name: '', kind: 'chat', context_window: '0', max_output_tokens: '0', input_price: '', output_price: '',
      cache_read_price: '', currency: '', supports_stream: true, supports_functions: false, supports_tool_choice: false,
      supports_vision: false, supports_fim: false,
    }),
    toForm: (r) => ({
      name: r.name, kind: r.kind, context_window: String(r.context_window), max_output_tokens: String(r.max_output_tokens),
      input_price: price(r.input_price), output_price: price(r.output_price), cache_read_price: price(r.cache_read_price),
      currency: r.currency ?? '', supports_stream: r.supports_stream, supports_functions: r.supports_functions,
      supports_tool_choice: r.supports_tool_choice, supports_vision: r.supports_vision, supports_fim: r.supports_fim,
    }),
    toBody: (f) => {
      const b: Record<string, unknown> = {
        name: String(f.name).trim(),
        kind: f.kind,
        context_window: parseIntField('context_window', String(f.context_window), 0, 2147483647),
        max_output_tokens: parseIntField('max_output_tokens', String(f.max_output_tokens), 0, 2147483647),
      };
      for (const k of FLAGS) b[k] = f[k] === true;
      for (const k of PRICES) {
        const v = parseOptionalNumber(k, String(f[k]), 0);
        if (v !== undefined) b[k] = v;
      }
      if (String(f.currency).trim()) b['currency'] = String(f.currency).trim();
      return b;
    },
    renderForm: (f, set, err) => (
      <div class="form-grid">
        <TextField label="Name" name="name" form={f} set={set} err={err} hint="namespace.public_model, e.g. default.gpt-4o" />
        <SelectField label="Kind" name="kind" form={f} set={set} err={err} options={['chat', 'embedding', 'rerank', 'other']} />
        <TextField label="Context window" name="context_window" form={f} set={set} err={err} />
        <TextField label="Max output tokens" name="max_output_tokens" form={f} set={set} err={err} />
        <TextField label="Input price (per 1M tokens)" name="input_price" form={f} set={set} err={err} hint="Blank: unpriced." />
        <TextField label="Output price (per 1M tokens)" name="output_price" form={f} set={set} err={err} />
        <TextField label="Cache read price (per 1M tokens)" name="cache_read_price" form={f} set={set} err={err} />
        <TextField label="Currency" name="currency" form={f} set={set} err={err} placeholder="USD" />
        {FLAGS.map((k) => (
          <CheckField key={k} label={k.replace('supports_', 'supports ').replace('_', ' ')} name={k} form={f} set={set} err={err} />
        ))}
      </div>
    ),
    create: (api, body) => api.post('/models', body),
    update: (api, r, body) => api.put(`/models/${seg(r.name)}`, body),
    remove: (api, r) => api.del(`/models/${seg(r.name)}`),
  };
  return <ResourcePage spec={spec} />;
}
