import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { clip } from '../lib/format';

export interface Column<T> {
  key: string;
  title: string;
  render?: (row: T) => ComponentChildren;
  cls?: string;
  // Columns sort by their raw value unless this is false (row actions).
  sortable?: boolean;
  // The value to sort by, when the raw field is not it.
  sortValue?: (row: T) => unknown;
}

export type SortDir = 'ascending' | 'descending';

// Numbers (and numeric strings) by value, the rest as text, empty values last.
export function compareValues(a: unknown, b: unknown): number {
  const empty = (v: unknown) => v === null || v === undefined || v === '';
  if (empty(a) || empty(b)) return empty(a) === empty(b) ? 0 : empty(a) ? 1 : -1;
  const na = typeof a === 'number' ? a : typeof a === 'string' && /^-?\d+(\.\d+)?$/.test(a) ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : typeof b === 'string' && /^-?\d+(\.\d+)?$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa.localeCompare(sb, undefined, { numeric: true, sensitivity: 'base' });
}

// A stable sort of the loaded rows by one column; empty values stay last either way.
export function sortRows<T>(rows: T[], value: (r: T) => unknown, dir: SortDir): T[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, v: value(r) }))
    .sort((x, y) => {
      const xe = x.v === null || x.v === undefined || x.v === '';
      const ye = y.v === null || y.v === undefined || y.v === '';
      if (xe || ye) return xe === ye ? x.i - y.i : xe ? 1 : -1;
      return sign * compareValues(x.v, y.v) || x.i - y.i;
    })
    .map((x) => x.r);
}

export const PAGE_SIZES = [50, 200, 1000];

// Pages longer than this are windowed: only the rows near the viewport are in the DOM,
// with spacer rows standing in for the rest (rows are one line high in that mode).
export const WINDOW_AFTER = 200;
export const ROW_PX = 33;
const OVERSCAN = 20;

// Which slice of `total` rows of `rowPx` each to render, given how far the table's body
// has scrolled above the viewport top and the viewport height.
export function windowFor(total: number, scrolledPx: number, viewportPx: number, rowPx = ROW_PX): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrolledPx) / rowPx);
  const start = Math.max(0, Math.min(total, first) - OVERSCAN);
  const end = Math.min(total, first + Math.ceil(viewportPx / rowPx) + OVERSCAN);
  return { start, end: Math.max(start, end) };
}

// Clamp a page index to what exists once rows change (a search narrowed the list).
export function clampPage(page: number, rows: number, size: number): number {
  const last = Math.max(0, Math.ceil(rows / size) - 1);
  return Math.min(Math.max(0, page), last);
}

// A paged table: at most `size` rows are in the DOM at a time. Cells are text nodes
// (default renderer) so names from the API are always inert.
export function DataTable<T extends object>(props: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (r: T) => string | number;
  onRowClick?: (r: T) => void;
  empty?: string;
  testId?: string;
  initialSize?: number;
}) {
  const [page, setPage] = useState(0);
  const [size, setSize] = useState(props.initialSize ?? PAGE_SIZES[0]!);
  const [sort, setSort] = useState<{ key: string; dir: SortDir } | null>(null);
  const sortCol = sort ? props.columns.find((c) => c.key === sort.key) : undefined;
  const rows = useMemo(
    () =>
      sort && sortCol
        ? sortRows(props.rows, (r) => (sortCol.sortValue ? sortCol.sortValue(r) : (r as Record<string, unknown>)[sortCol.key]), sort.dir)
        : props.rows,
    [props.rows, sort, sortCol],
  );
  const p = clampPage(page, rows.length, size);
  useEffect(() => {
    if (p !== page) setPage(p);
  }, [p, page]);
  const start = p * size;
  const view = rows.slice(start, start + size);
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const windowed = view.length > WINDOW_AFTER;
  const body = useRef<HTMLTableSectionElement>(null);
  const [win, setWin] = useState({ start: 0, end: Math.min(view.length, 60) });
  useEffect(() => {
    if (!windowed) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      const top = body.current ? body.current.getBoundingClientRect().top : 0;
      const next = windowFor(view.length, -top, innerHeight);
      setWin((w) => (w.start === next.start && w.end === next.end ? w : next));
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    addEventListener('scroll', onScroll, { passive: true });
    addEventListener('resize', onScroll);
    return () => {
      removeEventListener('scroll', onScroll);
      removeEventListener('resize', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [windowed, view.length]);
  const shown = windowed ? view.slice(win.start, win.end) : view;
  const colSpan = props.columns.length;
  return (
    <div class="table-wrap">
      <table class={windowed ? 'grid windowed' : 'grid'} data-testid={props.testId} data-rows={view.length}>
        <thead>
          <tr>
            {props.columns.map((c) => {
              const sortable = c.sortable !== false && c.title !== '' && !c.key.startsWith('__');
              const dir = sort?.key === c.key ? sort.dir : undefined;
              return (
                <th key={c.key} class={c.cls} aria-sort={sortable ? (dir ?? 'none') : undefined}>
                  {sortable ? (
                    <button
                      type="button"
                      class="sort"
                      data-testid={`sort-${c.key}`}
                      onClick={() => {
                        setSort({ key: c.key, dir: dir === 'ascending' ? 'descending' : 'ascending' });
                        setPage(0);
                      }}
                    >
                      {c.title}
                      <span aria-hidden="true">{dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}</span>
                    </button>
                  ) : (
                    c.title
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody ref={body}>
          {windowed && win.start > 0 ? (
            <tr class="spacer" aria-hidden="true">
              <td colSpan={colSpan} style={{ height: `${win.start * ROW_PX}px` }} />
            </tr>
          ) : null}
          {view.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            shown.map((r) => (
              <tr
                key={props.rowKey(r)}
                class={props.onRowClick ? 'clickable' : undefined}
                onClick={props.onRowClick ? () => props.onRowClick!(r) : undefined}
                // A row that opens a detail is a stop of the keyboard: Enter or Space opens it.
                tabIndex={props.onRowClick ? 0 : undefined}
                onKeyDown={
                  props.onRowClick
                    ? (e) => {
                        if (e.target !== e.currentTarget || (e.key !== 'Enter' && e.key !== ' ')) return;
                        e.preventDefault();
                        props.onRowClick!(r);
                      }
                    : undefined
                }
              >
                {props.columns.map((c) => {
                  const raw = (r as Record<string, unknown>)[c.key];
                  return (
                    <td key={c.key} class={c.cls} title={c.render ? undefined : clip(raw, 2000)}>
                      {c.render ? c.render(r) : clip(raw, 80)}
                    </td>
                  );
                })}
              </tr>
            ))
          )}
          {windowed && win.end < view.length ? (
            <tr class="spacer" aria-hidden="true">
              <td colSpan={colSpan} style={{ height: `${(view.length - win.end) * ROW_PX}px` }} />
            </tr>
          ) : null}
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)} aria-label="Previous page">
          ‹ Prev
        </button>
        <span data-testid="pager-info">
          {rows.length === 0 ? '0 rows' : `${start + 1}–${start + view.length} of ${rows.length}`} · page{' '}
          {p + 1}/{pages}
        </span>
        <button type="button" disabled={p >= pages - 1} onClick={() => setPage(p + 1)} aria-label="Next page">
          Next ›
        </button>
        <label class="inline">
          rows per page{' '}
          <select
            value={String(size)}
            data-testid="page-size"
            onChange={(e) => {
              setSize(Number((e.currentTarget as HTMLSelectElement).value));
              setPage(0);
            }}
          >
            {PAGE_SIZES.map((s) => (
              <option key={s} value={String(s)}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
    </div>
  );
}
