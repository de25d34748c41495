import { describe, expect, it } from 'vitest';
import { changedFields, changedOnly, diff, isSecretField, maskDeep, maskValue } from '../src/lib/diff';

describe('secret masking', () => {
  it('recognises secret field names', () => {
    for (const n of ['api_key', 'key', 'master_key', 'token', 'jwt_secret', 'client_secret', 'password']) expect(isSecretField(n)).toBe(true);
    for (const n of ['key_prefix', 'name', 'monkey', 'keys', 'model_limits']) expect(isSecretField(n)).toBe(false);
  });
  it('masks plaintext under a secret name and full tokens anywhere, keeps API masks', () => {
    expect(maskValue('api_key', 'sk-abcdefghijklmnop')).toBe('sk-a****');
    expect(maskValue('note', 'ezk_0123456789abcdefghijkl')).toBe('ezk_****');
    expect(maskValue('api_key', 'sk-****7890')).toBe('sk-****7890');
    expect(maskValue('name', 'plain')).toBe('plain');
    expect(maskDeep({ a: { token: 'abcdefgh' }, list: [{ key: 'ezk_xxxxxxxxxxxxxxxxxxxx' }] })).toEqual({
      a: { token: 'ab****' },
      list: [{ key: 'ezk_****' }],
    });
  });
});

describe('diff', () => {
  it('lists added, removed and changed fields with paths', () => {
    const c = changedOnly(diff({ name: 'a', weight: 1, cfg: { x: 1 }, gone: true }, { name: 'b', weight: 1, cfg: { x: 2, y: 3 } }));
    expect(c).toEqual([
      { path: 'cfg.x', kind: 'changed', before: 1, after: 2 },
      { path: 'cfg.y', kind: 'added', after: 3 },
      { path: 'gone', kind: 'removed', before: true },
      { path: 'name', kind: 'changed', before: 'a', after: 'b' },
    ]);
  });
  it('treats a create (before null) as every field added, and masks secrets', () => {
    const c = diff(null, { name: 'p', api_key: 'sk-live-1234567890abcdef' });
    expect(c).toEqual([
      { path: 'api_key', kind: 'added', after: 'sk-l****' },
      { path: 'name', kind: 'added', after: 'p' },
    ]);
  });
  it('compares arrays as wholes', () => {
    expect(changedOnly(diff({ m: ['a', 'b'] }, { m: ['a', 'b'] }))).toEqual([]);
    expect(changedOnly(diff({ m: ['a'] }, { m: ['a', 'b'] }))[0]!.path).toBe('m');
  });
});

describe('changedFields', () => {
  it('keeps only what the form changed (a partial PUT)', () => {
    expect(changedFields({ name: 'a', models: ['x'], weight: 1 }, { name: 'a', models: ['x', 'y'], weight: 1, extra: undefined })).toEqual({
      models: ['x', 'y'],
    });
  });
});
