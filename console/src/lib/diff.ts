// Audit before/after: a flat list of changed paths, with secrets masked again on this
// side (the API masks them; the console does not rely on it alone).

export type ChangeKind = 'added' | 'removed' | 'changed' | 'same';

export interface Change {
  path: string;
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
}

const SECRET_NAME = /(^|_|\.)(api_key|key|master_key|token|secret|password|[a-z]*_secret|authorization)$/i;
const SECRET_VALUE = /^(ezk_|ezm_|sk-|adm_|int_)[A-Za-z0-9_-]{12,}$/;

export function isSecretField(name: string): boolean {
  return SECRET_NAME.test(name);
}

// A value shown under a secret name, or that looks like a full token, becomes a mask
// that keeps at most its first 4 characters. Masks the API already applied ("****",
// "sk-****7890") are short or contain '*' and stay as they are.
export function maskValue(name: string, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v.includes('*') || v === '') return v;
  if (isSecretField(name) || SECRET_VALUE.test(v)) return `${v.slice(0, Math.min(4, Math.floor(v.length / 4)))}****`;
  return v;
}

export function maskDeep(v: unknown, name = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, name));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = maskDeep(x, k);
    return out;
  }
  return maskValue(name, v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

// Objects are walked (paths "a.b"); arrays and scalars compare as wholes.
export function diff(before: unknown, after: unknown, path = ''): Change[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in before)) return [{ path: p, kind: 'added' as const, after: maskDeep(after[k], k) }];
      if (!(k in after)) return [{ path: p, kind: 'removed' as const, before: maskDeep(before[k], k) }];
      return diff(before[k], after[k], p);
    });
  }
  const name = path.split('.').pop() ?? '';
  if (before === undefined || before === null) {
    if (after === undefined || after === null) return [];
    if (isPlainObject(after)) return diff({}, after, path);
    return [{ path, kind: 'added', after: maskDeep(after, name) }];
  }
  if (after === undefined || after === null) {
    if (isPlainObject(before)) return diff(before, {}, path);
    return [{ path, kind: 'removed', before: maskDeep(before, name) }];
  }
  const same = JSON.stringify(before) === JSON.stringify(after);
  return [{ path, kind: same ? 'same' : 'changed', before: maskDeep(before, name), after: maskDeep(after, name) }];
}

export const changedOnly = (c: Change[]): Change[] => c.filter((x) => x.kind !== 'same');

// For edit forms: the fields of `edited` that differ from `original` (a partial PUT).
export function changedFields(original: Record<string, unknown>, edited: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(edited)) {
    if (v === undefined) continue;
    if (JSON.stringify(original[k]) !== JSON.stringify(v)) out[k] = v;
  }
  return out;
}
