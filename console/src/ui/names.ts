import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api';
import { type NameMap, toNameMap } from '../lib/names';

// The names of a list (id -> name), null until loaded or when the list cannot be read;
// `path` null: none. Loaded afresh on every visit of a page, so a master created a moment
// ago is named, not shown as deleted.
export function useNames(api: Api, path: string | null): NameMap | null {
  const [names, setNames] = useState<NameMap | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    api
      .all<{ id: number; name?: string }>(path)
      .then((r) => live && setNames(r.truncated ? null : toNameMap(r.items)))
      .catch(() => live && setNames(null));
    return () => {
      live = false;
    };
  }, [api, path]);
  return names;
}
