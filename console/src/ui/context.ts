import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from '../lib/api';
import type { Session } from '../lib/session';
import type { PageId } from '../lib/router';

export interface AppCtx {
  api: Api;
  session: Session;
  navigate: (page: PageId, params?: Record<string, string | undefined>) => void;
  // A secret to show once (a new key, a rotated key, a new master key).
  showSecret: (title: string, secret: string, note?: string) => void;
  notify: (text: string) => void;
}

export const Ctx = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('useApp outside the app');
  return c;
}
