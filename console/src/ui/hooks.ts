import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Page } from '../lib/api';

// The first page is small, so the page shows quickly; "more" takes the API's largest
// page (limit 500), and "all" keeps going up to ALL_MAX rows.
export const FIRST_PAGE = 100;
export const MORE_PAGE = 500;
export const ALL_PAGES = 40;
export const ALL_MAX = MORE_PAGE * ALL_PAGES;

// A cursor-paged list from the API: the first page on mount (and when `deps` change),
// more on demand, everything (bounded) for a full search.
export function useCursorList<T>(fetchPage: (cursor: string | null, limit: number) => Promise<Page<T>>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const gen = useRef(0);

  const load = useCallback(async (from: string | null, append: boolean, maxPages: number) => {
    const my = ++gen.current;
    setLoading(true);
    setError(null);
    try {
      let c = from;
      let acc: T[] = [];
      let pages = 0;
      do {
        const pg = await fetchPage(c, from === null && !append ? FIRST_PAGE : MORE_PAGE);
        acc = acc.concat(pg.items);
        c = pg.next_cursor;
        pages++;
      } while (c && pages < maxPages);
      if (my !== gen.current) return;
      setItems((old) => (append ? old.concat(acc) : acc));
      setCursor(c);
    } catch (e) {
      if (my === gen.current) setError(e);
    } finally {
      if (my === gen.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    void load(null, false, 1);
  }, [load]);

  return {
    items,
    setItems,
    loading,
    error,
    setError,
    hasMore: cursor !== null,
    reload: () => load(null, false, 1),
    loadMore: () => load(cursor, true, 1),
    loadAll: () => load(cursor, true, ALL_PAGES),
  };
}

// Runs `fn` after `ms` of quiet (live binding resolution while typing).
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
