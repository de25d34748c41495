import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api';
import { type NameMap, toNameMap } from '../lib/names';

// One load per list and signed-in session, shared by every page that shows the names.
const cache = new WeakMap<Api, Map<string, Promise<NameMap | null>>>();

export function loadNames(api: Api, path: string): Promise<NameMap | null> {
  let byPath = cache.get(api);
  if (!byPath) cache.set(api, (byPath = new Map()));
  let p = byPath.get(path);
  if (!p) {
    p = api
      .all<{ id: number; name?: string }>(path)
      .then((r) => (r.truncated ? null : toNameMap(r.items)))
      .catch(() => null);
    byPath.set(path, p);
  }
  return p;
}

// The names of a list, null until loaded (or when it cannot be read); `path` null: none.
export function useNames(api: Api, path: string | null): NameMap | null {
  const [names, setNames] = useState<NameMap | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    void loadNames(api, path).then((m) => live && setNames(m));
    return () => {
      live = false;
    };
  }, [api, path]);
  return names;
}
