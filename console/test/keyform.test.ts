import { describe, expect, it } from 'vitest';
import { emptyKeyForm, type Key, keyFormToBody, keyToForm, modelLimitsText } from '../src/pages/keyform';
import { logQuery } from '../src/pages/Logs';
import { changedFields } from '../src/lib/diff';

const key: Key = {
  id: 5, master_id: 2, name: 'ci', group: 'default', namespaces: ['default'], scopes: [], model_limits: ['gpt-4o'],
  model_limits_enabled: true, model_rate_limits: {}, allow_ips: ['10.0.0.0/8'], expires_at: null, status: 'active',
  issued_by: 'admin', key_prefix: 'ezk_abcd',
};

describe('key form', () => {
  it('sends only what was filled in on create', () => {
    const f = { ...emptyKeyForm('2'), name: 'ci', model_limits: 'gpt-4o\nclaude', model_limits_enabled: true };
    expect(keyFormToBody(f, { withMaster: true, editing: false })).toEqual({
      master_id: 2,
      name: 'ci',
      model_limits_enabled: true,
      model_limits: ['gpt-4o', 'claude'],
    });
    expect(keyFormToBody(emptyKeyForm(), { withMaster: false, editing: false })).toEqual({});
  });
  it('a tenant editing its key sends only what a master may change', () => {
    const f = { ...keyToForm(key), name: 'renamed', group: 'other', allow_ips: '', expires_at: '2030-01-01T00:00' };
    const body = keyFormToBody(f, { withMaster: false, editing: true, tenant: true });
    expect(Object.keys(body).sort()).toEqual(['model_limits', 'model_limits_enabled', 'model_rate_limits', 'name', 'status']);
    expect(body['name']).toBe('renamed');
    // A tenant creating a key may still choose its group, namespaces and the rest.
    const created = keyFormToBody({ ...emptyKeyForm(), group: 'g' }, { withMaster: false, editing: false, tenant: true });
    expect(created).toEqual({ group: 'g' });
  });
  it('requires a master when an admin creates a key', () => {
    expect(() => keyFormToBody(emptyKeyForm(), { withMaster: true, editing: false })).toThrow(/master_id/);
  });
  it('turns an edit into the changed fields only', () => {
    const before = keyFormToBody(keyToForm(key), { withMaster: true, editing: true });
    const after = keyFormToBody({ ...keyToForm(key), allow_ips: '' }, { withMaster: true, editing: true });
    expect(changedFields(before, after)).toEqual({ allow_ips: [] });
  });
  it('describes the model allowlist', () => {
    expect(modelLimitsText(key)).toBe('gpt-4o');
    expect(modelLimitsText({ ...key, model_limits: [] })).toBe('none (empty allowlist)');
    expect(modelLimitsText({ ...key, model_limits_enabled: false })).toBe('all (allowlist off: 1)');
    expect(modelLimitsText({ ...key, model_limits: [], model_limits_enabled: false })).toBe('all');
    expect(modelLimitsText({ ...key, model_limits: {}, model_limits_enabled: undefined })).toBe('all');
  });
});

describe('log filters', () => {
  it('keeps the known, non-empty filters, and no master filter for a tenant', () => {
    const p = { model: 'gpt', status: '', master_id: '3', junk: 'x', request_id: ' r1 ' };
    expect(logQuery(p, true)).toEqual({ model: 'gpt', master_id: '3', request_id: 'r1' });
    expect(logQuery(p, false)).toEqual({ model: 'gpt', request_id: 'r1' });
  });
});
