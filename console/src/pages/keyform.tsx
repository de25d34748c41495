import type { components } from '../api/openapi';
import { FieldError, isoToLocalInput, localInputToIso, parseIntField, parseJsonObject, parseList } from '../lib/forms';
import { CheckField, type FormState, SelectField, TextField } from '../ui/fields';

export interface Key {
  id: number;
  master_id: number;
  name: string;
  group: string;
  namespaces: string[];
  scopes: string[];
  // The New API convention: an allowlist plus a switch; older servers sent an object.
  model_limits: string[] | Record<string, unknown>;
  model_limits_enabled?: boolean;
  model_rate_limits?: Record<string, unknown>;
  allow_ips: string[];
  expires_at: string | null;
  status: string;
  issued_by: string;
  key_prefix: string;
}

export interface KeyWithSecret extends Key {
  key: string;
}

export function emptyKeyForm(masterId = ''): FormState {
  return {
    master_id: masterId, name: '', group: '', namespaces: '', scopes: '', model_limits_enabled: false,
    model_limits: '', model_rate_limits: '', allow_ips: '', expires_at: '', status: 'active',
  };
}

export function keyToForm(k: Key): FormState {
  return {
    master_id: String(k.master_id),
    name: k.name,
    group: k.group,
    namespaces: k.namespaces.join('\n'),
    scopes: k.scopes.join('\n'),
    model_limits_enabled: k.model_limits_enabled === true,
    model_limits: Array.isArray(k.model_limits) ? k.model_limits.join('\n') : '',
    model_rate_limits:
      k.model_rate_limits && Object.keys(k.model_rate_limits).length ? JSON.stringify(k.model_rate_limits, null, 1) : '',
    allow_ips: k.allow_ips.join('\n'),
    expires_at: isoToLocalInput(k.expires_at),
    status: k.status,
  };
}

// What a master may change on its own keys (PUT /master/keys/{id}); group, namespaces,
// scopes, IPs and expiry stay the admin's, and the API refuses them with a 400.
export const TENANT_EDITABLE = ['name', 'status', 'model_limits_enabled', 'model_limits', 'model_rate_limits'] as const satisfies readonly (keyof components['schemas']['MasterKeyInput'])[];
type Assert<T extends true> = T;
// Every field of the API's MasterKeyInput is in TENANT_EDITABLE (tsc fails otherwise).
export type TenantEditableComplete = Assert<
  [Exclude<keyof components['schemas']['MasterKeyInput'], (typeof TENANT_EDITABLE)[number]>] extends [never] ? true : false
>;

export interface KeyFormOpts {
  withMaster: boolean;
  editing: boolean;
  // A master editing its own key: only TENANT_EDITABLE is shown and sent.
  tenant?: boolean;
}

const tenantOnly = (opts: KeyFormOpts) => opts.tenant === true && opts.editing;

// Only what the form says is sent: defaults are left to the API, so the body also
// works against a server that does not know a newer optional field.
export function keyFormToBody(f: FormState, opts: KeyFormOpts): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  if (opts.withMaster && !opts.editing) {
    if (String(f.master_id).trim() === '') throw new FieldError('master_id', 'master_id is required');
    b['master_id'] = parseIntField('master_id', String(f.master_id), 1, Number.MAX_SAFE_INTEGER);
  }
  const put = (k: string, v: unknown, keep: boolean) => {
    if (keep || opts.editing) b[k] = v;
  };
  put('name', String(f.name), String(f.name) !== '');
  put('group', String(f.group).trim(), String(f.group).trim() !== '');
  const ns = parseList(String(f.namespaces));
  put('namespaces', ns, ns.length > 0);
  const scopes = parseList(String(f.scopes));
  put('scopes', scopes, scopes.length > 0);
  const limits = parseList(String(f.model_limits));
  put('model_limits_enabled', f.model_limits_enabled === true, f.model_limits_enabled === true);
  put('model_limits', limits, limits.length > 0);
  const rate = parseJsonObject('model_rate_limits', String(f.model_rate_limits));
  put('model_rate_limits', rate, Object.keys(rate).length > 0);
  const ips = parseList(String(f.allow_ips));
  put('allow_ips', ips, ips.length > 0);
  const exp = localInputToIso(String(f.expires_at));
  put('expires_at', exp, exp !== null);
  put('status', f.status, f.status !== 'active');
  if (tenantOnly(opts)) {
    const allowed = new Set<string>(TENANT_EDITABLE);
    for (const k of Object.keys(b)) if (!allowed.has(k)) delete b[k];
  }
  return b;
}

export function KeyFormFields(props: {
  f: FormState;
  set: (k: string, v: string | boolean) => void;
  err: unknown;
  withMaster: boolean;
  editing: boolean;
  tenant?: boolean;
}) {
  const { f, set, err } = props;
  const adminFields = !tenantOnly(props);
  return (
    <div class="form-grid">
      {adminFields ? null : (
        <p class="muted full" data-testid="tenant-note">
          Group, namespaces, scopes, allowed IPs and expiry are set by an admin.
        </p>
      )}
      {props.withMaster && !props.editing ? (
        <TextField label="Master ID" name="master_id" form={f} set={set} err={err} hint="The key belongs to this master." />
      ) : null}
      <TextField label="Name" name="name" form={f} set={set} err={err} />
      {adminFields ? (
        <>
          <TextField label="Group" name="group" form={f} set={set} err={err} hint="Blank: the master's group." />
          <TextField label="Namespaces" name="namespaces" form={f} set={set} err={err} multiline hint="Subset of the master's; blank = all." />
          <TextField label="Scopes" name="scopes" form={f} set={set} err={err} multiline />
        </>
      ) : null}
      <CheckField label="Restrict to the model allowlist" name="model_limits_enabled" form={f} set={set} err={err} />
      <TextField label="Model allowlist" name="model_limits" form={f} set={set} err={err} multiline hint="Model names, one per line." />
      <TextField
        label="Per-model rate limits (JSON)"
        name="model_rate_limits"
        form={f}
        set={set}
        err={err}
        multiline
        mono
        placeholder={'{"gpt-4o": {"rpm": 60}}'}
      />
      {adminFields ? (
        <>
          <TextField label="Allowed IPs / CIDRs" name="allow_ips" form={f} set={set} err={err} multiline placeholder="10.0.0.0/8" />
          <TextField label="Expires at (local time)" name="expires_at" type="datetime-local" form={f} set={set} err={err} hint="Blank: never." />
        </>
      ) : null}
      <SelectField label="Status" name="status" form={f} set={set} err={err} options={['active', 'disabled']} />
    </div>
  );
}

// What the key may call. The allowlist applies only when model_limits_enabled is true;
// true with an empty list means no model at all (the API warns about it).
export function modelLimitsText(k: Key): string {
  if (Array.isArray(k.model_limits)) {
    const list = k.model_limits;
    if (k.model_limits_enabled === true) return list.length ? list.join(', ') : 'none (empty allowlist)';
    if (k.model_limits_enabled === false) return list.length ? `all (allowlist off: ${list.length})` : 'all';
    return list.length ? list.join(', ') : 'all';
  }
  const n = k.model_limits ? Object.keys(k.model_limits).length : 0;
  return n ? JSON.stringify(k.model_limits) : 'all';
}
