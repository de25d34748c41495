import { describe, expect, it } from 'vitest';
import { adminLabel, beginSession, clearSession, isCurrent, jwtSubject, loadSession, roleOf, saveSession, STORAGE_KEY } from '../src/lib/session';

class MemStore {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

describe('session', () => {
  it('tells master keys from admin credentials', () => {
    expect(roleOf('ezm_abc')).toBe('master');
    expect(roleOf('  ezm_abc ')).toBe('master');
    expect(roleOf('adm_123')).toBe('admin');
    expect(roleOf('a.b.c')).toBe('admin');
  });
  it('reads a JWT subject for display only', () => {
    const jwt = `${b64({ alg: 'HS256' })}.${b64({ sub: 'ops', role: 'admin' })}.sig`;
    expect(jwtSubject(jwt)).toBe('ops');
    expect(adminLabel(jwt)).toBe('admin JWT (ops)');
    expect(adminLabel('adm_x')).toBe('admin token');
    expect(jwtSubject('a.!!!.c')).toBeNull();
  });
  it('round-trips through the store and logout clears it', () => {
    const st = new MemStore();
    saveSession(st, { token: 't', role: 'master', label: 'm', masterId: 3 });
    expect(loadSession(st)).toEqual({ token: 't', role: 'master', label: 'm', masterId: 3 });
    clearSession(st);
    expect(loadSession(st)).toBeNull();
    expect(st.m.size).toBe(0);
  });
  it('rejects a tampered or foreign entry', () => {
    const st = new MemStore();
    st.setItem(STORAGE_KEY, '{"token":"t","role":"root"}');
    expect(loadSession(st)).toBeNull();
    st.setItem(STORAGE_KEY, 'not json');
    expect(loadSession(st)).toBeNull();
    expect(loadSession(undefined)).toBeNull();
  });
  it('a session stops being current after sign-out or a newer sign-in in the tab', () => {
    const st = new MemStore();
    const a = beginSession(st, { token: 't', role: 'admin', label: 'a' }, false);
    expect(isCurrent(st, a)).toBe(true);
    expect(loadSession(st)).toBeNull(); // not remembered: only the epoch is stored
    clearSession(st);
    expect(isCurrent(st, a)).toBe(false);
    expect(st.m.size).toBe(0);
    const b = beginSession(st, { token: 't', role: 'admin', label: 'a' }, true);
    expect(isCurrent(st, a)).toBe(false);
    expect(isCurrent(st, b)).toBe(true);
    expect(loadSession(st)).toEqual(b);
  });
});
