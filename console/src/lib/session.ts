// The credential: kept in memory, and in sessionStorage (this tab only) when the user
// asks to stay signed in. Never a cookie, never localStorage. Logout removes it.
//
// Every sign-in also gets an epoch, a random id kept in sessionStorage whether or not the
// credential is. A page that the browser brings back from its back/forward cache still
// holds its old session in memory; it compares that session's epoch with the tab's and,
// when they differ (a sign-out or a newer sign-in happened since), sends nothing with it.

export type Role = 'admin' | 'master';

export interface Session {
  token: string;
  role: Role;
  // What the header shows: "admin token", "JWT ops", "master #3 acme".
  label: string;
  masterId?: number;
  epoch?: string;
}

export const STORAGE_KEY = 'ezapi.console.session';
export const EPOCH_KEY = 'ezapi.console.epoch';

// Master keys are "ezm_" + 43 base62 characters; everything else (the static admin
// token, an HS256 JWT) is tried as an admin credential.
export function roleOf(token: string): Role {
  return token.trim().startsWith('ezm_') ? 'master' : 'admin';
}

// The JWT's subject for display, without verifying anything (the API does that).
export function jwtSubject(token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : '';
  } catch {
    return null;
  }
}

export function adminLabel(token: string): string {
  const sub = jwtSubject(token);
  if (sub === null) return 'admin token';
  return sub ? `admin JWT (${sub})` : 'admin JWT';
}

export interface KeyValueStore {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

export function loadSession(store: KeyValueStore | undefined): Session | null {
  if (!store) return null;
  const raw = store.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || !s.token || (s.role !== 'admin' && s.role !== 'master')) return null;
    const out: Session = { token: s.token, role: s.role, label: typeof s.label === 'string' ? s.label : s.role };
    if (typeof s.masterId === 'number') out.masterId = s.masterId;
    if (typeof s.epoch === 'string') out.epoch = s.epoch;
    return out;
  } catch {
    return null;
  }
}

export function saveSession(store: KeyValueStore | undefined, s: Session): void {
  store?.setItem(STORAGE_KEY, JSON.stringify(s));
}

export function clearSession(store: KeyValueStore | undefined): void {
  store?.removeItem(STORAGE_KEY);
  store?.removeItem(EPOCH_KEY);
}

const newEpoch = (): string => {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
};

// A sign-in: the session gets a fresh epoch that becomes the tab's; the credential is
// stored only when the user asks to stay signed in.
export function beginSession(store: KeyValueStore | undefined, s: Session, remember: boolean): Session {
  const out: Session = { ...s, epoch: newEpoch() };
  clearSession(store);
  store?.setItem(EPOCH_KEY, out.epoch!);
  if (remember) saveSession(store, out);
  return out;
}

// Whether this session is still the tab's: false after a sign-out or another sign-in in
// this tab. Without storage (blocked by the browser) there is only the page's memory.
export function isCurrent(store: KeyValueStore | undefined, s: Session): boolean {
  if (!store) return true;
  return s.epoch !== undefined && store.getItem(EPOCH_KEY) === s.epoch;
}
