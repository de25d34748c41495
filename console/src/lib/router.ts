// History routing under /console/: the page is the first path segment, filters live in
// the query string so a view can be bookmarked or shared (never a credential).

export const BASE = '/console/';

export type PageId =
  | 'dashboard' | 'providers' | 'masters' | 'keys' | 'models' | 'bindings'
  | 'features' | 'logs' | 'audit' | 'status';

export interface PageDef {
  id: PageId;
  title: string;
  admin: boolean;  // shown to an admin
  master: boolean; // shown to a master key (tenant view)
}

export const PAGES: PageDef[] = [
  { id: 'dashboard', title: 'Dashboard', admin: true, master: true },
  { id: 'providers', title: 'Providers', admin: true, master: false },
  { id: 'masters', title: 'Masters', admin: true, master: false },
  { id: 'keys', title: 'Keys', admin: true, master: true },
  { id: 'models', title: 'Models', admin: true, master: false },
  { id: 'bindings', title: 'Bindings', admin: true, master: false },
  { id: 'features', title: 'Features', admin: true, master: false },
  { id: 'logs', title: 'Logs', admin: true, master: true },
  { id: 'audit', title: 'Audit', admin: true, master: false },
  { id: 'status', title: 'Status', admin: true, master: false },
];

export interface Route {
  // null: a path under /console/ that names no page (the not-found page says so).
  page: PageId | null;
  params: Record<string, string>;
}

export function pagesFor(role: 'admin' | 'master'): PageDef[] {
  return PAGES.filter((p) => (role === 'admin' ? p.admin : p.master));
}

// "/console/logs?model=x" -> {page: 'logs', params: {model: 'x'}}; "/console/" -> the
// dashboard; an unknown page -> null, so a mistyped link is not silently the dashboard.
export function parseRoute(pathname: string, search: string): Route {
  let rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  rest = rest.replace(/\/+$/, '');
  const first = rest.split('/')[0] ?? '';
  const page = first === '' ? 'dashboard' : (PAGES.find((p) => p.id === first)?.id ?? null);
  const params: Record<string, string> = {};
  new URLSearchParams(search).forEach((v, k) => {
    params[k] = v;
  });
  return { page, params };
}

export function hrefFor(page: PageId, params: Record<string, string | undefined> = {}): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, v);
  const q = u.toString();
  return BASE + (page === 'dashboard' ? '' : page) + (q ? `?${q}` : '');
}
