import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api } from './lib/api';
import { hrefFor, type PageId, pagesFor, parseRoute, type Route } from './lib/router';
import { beginSession, clearSession, isCurrent, loadSession, type Session } from './lib/session';
import { AuditPage } from './pages/Audit';
import { BindingsPage } from './pages/Bindings';
import { DashboardPage } from './pages/Dashboard';
import { NotFoundPage } from './pages/NotFound';
import { FeaturesPage } from './pages/Features';
import { KeysPage } from './pages/Keys';
import { LoginPage } from './pages/Login';
import { LogsPage } from './pages/Logs';
import { MastersPage } from './pages/Masters';
import { ModelsPage } from './pages/Models';
import { ProvidersPage } from './pages/Providers';
import { StatusPage } from './pages/Status';
import { type AppCtx, Ctx } from './ui/context';
import { SecretDialog } from './ui/SecretDialog';

const store = (): Storage | undefined => {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
};

const current = (): Route => parseRoute(location.pathname, location.search);

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession(store()));
  const [route, setRoute] = useState<Route>(current);
  const [secret, setSecret] = useState<{ title: string; secret: string; note?: string } | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);
  // The query of each page as last seen (the dashboard's period): the menu links back to
  // it, so a page looks as it was left.
  const lastParams = useRef<Partial<Record<PageId, Record<string, string>>>>({});
  if (route.page) lastParams.current[route.page] = route.params;

  // A page restored from the back/forward cache after a sign-out (or a newer sign-in) in
  // this tab: its screen and its in-memory credential are stale. The screen is emptied at
  // once and the page loaded anew, which starts from what the tab holds now.
  useEffect(() => {
    const onShow = (e: PageTransitionEvent) => {
      if (!e.persisted || !session || isCurrent(store(), session)) return;
      document.body.replaceChildren();
      location.reload();
    };
    addEventListener('pageshow', onShow);
    return () => removeEventListener('pageshow', onShow);
  }, [session]);
  useEffect(() => {
    const onPop = () => setRoute(current());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(null), 4000);
    return () => clearTimeout(t);
  }, [toast]);

  // Forgets the session in this page only; logout also ends it for the tab.
  const drop = (why?: string) => {
    setSecret(null);
    setSession(null);
    setNotice(why);
  };
  const logout = (why?: string) => {
    clearSession(store());
    drop(why);
  };

  const api = useMemo(() => {
    if (!session) return null;
    const live = () => {
      if (isCurrent(store(), session)) return true;
      drop('This page was signed out: sign in again.');
      return false;
    };
    return new Api(session.token, () => logout('The API refused the credential (401): sign in again.'), undefined, live);
  }, [session]);

  if (!session || !api) {
    return (
      <LoginPage
        notice={notice}
        onLogin={(s, remember) => {
          setNotice(undefined);
          setSession(beginSession(store(), s, remember));
        }}
      />
    );
  }

  const pages = pagesFor(session.role);
  // A page this credential does not have (a tenant on /console/providers) is not found
  // for it, like a mistyped path.
  const page = pages.some((p) => p.id === route.page) ? route.page : null;
  const navigate = (p: PageId, params: Record<string, string | undefined> = {}) => {
    history.pushState(null, '', hrefFor(p, params));
    setRoute(current());
    setMenuOpen(false);
    scrollTo(0, 0);
  };
  const ctx: AppCtx = {
    api,
    session,
    navigate,
    showSecret: (title, s, note) => setSecret(note === undefined ? { title, secret: s } : { title, secret: s, note }),
    notify: setToast,
  };

  let body;
  switch (page) {
    case 'providers': body = <ProvidersPage />; break;
    case 'masters': body = <MastersPage />; break;
    case 'keys': body = <KeysPage key={route.params['master_id'] ?? ''} params={route.params} />; break;
    case 'models': body = <ModelsPage />; break;
    case 'bindings': body = <BindingsPage />; break;
    case 'features': body = <FeaturesPage />; break;
    case 'logs': body = <LogsPage key={JSON.stringify(route.params)} params={route.params} />; break;
    case 'audit': body = <AuditPage />; break;
    case 'status': body = <StatusPage />; break;
    case 'dashboard': body = <DashboardPage params={route.params} />; break;
    default: body = <NotFoundPage path={location.pathname} />;
  }

  return (
    <Ctx.Provider value={ctx}>
      <div class="shell">
        <a
          class="skip"
          href="#main"
          data-testid="skip-link"
          onClick={(e) => {
            e.preventDefault();
            document.getElementById('main')?.focus();
          }}
        >
          Skip to content
        </a>
        <nav class={menuOpen ? 'side open' : 'side'} aria-label="Main">
          <div class="brand-row">
            <div class="brand">EZ-API</div>
            <button
              type="button"
              class="menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="nav-links"
              data-testid="menu-toggle"
              onClick={() => setMenuOpen(!menuOpen)}
            >
              {menuOpen ? 'Close menu' : 'Menu'}
            </button>
          </div>
          <div class="links" id="nav-links">
          {pages.map((p) => (
            <a
              key={p.id}
              href={hrefFor(p.id, p.id === 'dashboard' ? lastParams.current.dashboard : {})}
              class={p.id === page ? 'active' : undefined}
              aria-current={p.id === page ? 'page' : undefined}
              data-testid={`nav-${p.id}`}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                e.preventDefault();
                navigate(p.id, p.id === 'dashboard' ? lastParams.current.dashboard : {});
              }}
            >
              {p.title}
            </a>
          ))}
          <div class="who">
            <div class="muted">signed in as</div>
            <div data-testid="who">{session.label}</div>
            <button type="button" data-testid="logout" onClick={() => logout()}>
              Sign out
            </button>
          </div>
          </div>
        </nav>
        <main class="content" id="main" tabIndex={-1}>
          {body}
        </main>
      </div>
      {secret ? <SecretDialog title={secret.title} secret={secret.secret} note={secret.note} onClose={() => setSecret(null)} /> : null}
      {toast ? (
        <div class="toast" role="status" data-testid="toast">
          {toast}
        </div>
      ) : null}
    </Ctx.Provider>
  );
}
