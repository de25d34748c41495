import { useState } from 'preact/hooks';
import { Api } from '../lib/api';
import { adminLabel, roleOf, type Session } from '../lib/session';
import { ErrorBox } from '../ui/ErrorBox';

interface MasterSelf {
  id: number;
  name: string;
}

// Checks the credential against the API before keeping it: an admin credential must
// list masters; a master key must read /master/self.
export async function signIn(token: string): Promise<Session> {
  const t = token.trim();
  const api = new Api(t);
  if (roleOf(t) === 'master') {
    const me = await api.get<MasterSelf>('/master/self');
    return { token: t, role: 'master', label: `master #${me.id} ${me.name}`, masterId: me.id };
  }
  await api.get('/admin/masters', { limit: 1 });
  return { token: t, role: 'admin', label: adminLabel(t) };
}

export function LoginPage(props: { onLogin: (s: Session, remember: boolean) => void; notice?: string }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(true);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login" data-testid="login">
      <form
        class="login-box"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr(null);
          try {
            const s = await signIn(token);
            setToken('');
            props.onLogin(s, remember);
          } catch (x) {
            setErr(x);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>EZ-API console</h1>
        {props.notice ? <p class="warn">{props.notice}</p> : null}
        <label class="field">
          <span class="field-label">Admin token, admin JWT, or master key (ezm_…)</span>
          <input
            type="password"
            autocomplete="off"
            name="token"
            data-testid="token"
            value={token}
            onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember((e.currentTarget as HTMLInputElement).checked)} /> stay
          signed in in this tab (sessionStorage; closing the tab forgets it)
        </label>
        <ErrorBox error={err} />
        <button type="submit" class="primary" disabled={busy || !token.trim()} data-testid="login-submit">
          Sign in
        </button>
        <p class="muted">
          The credential is kept in this tab only, never in a cookie or localStorage. A master key opens the tenant view: its own
          keys, usage and logs.
        </p>
      </form>
    </main>
  );
}
