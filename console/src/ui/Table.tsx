import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { clip } from '../lib/format';

export interface Column<T> {
  key: string;
  title: string;
  render?: (row: T) => ComponentChildren;
  cls?: string;
}

export const PAGE_SIZES = [50, 200, 1000];

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
  const p = clampPage(page, props.rows.length, size);
  useEffect(() => {
    if (p !== page) setPage(p);
  }, [p, page]);
  const start = p * size;
  const view = props.rows.slice(start, start + size);
  const pages = Math.max(1, Math.ceil(props.rows.length / size));
  return (
    <div class="table-wrap">
      <table class="grid" data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.key} class={c.cls}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            view.map((r) => (
              <tr
                key={props.rowKey(r)}
                class={props.onRowClick ? 'clickable' : undefined}
                onClick={props.onRowClick ? () => props.onRowClick!(r) : undefined}
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
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)} aria-label="Previous page">
          ‹ Prev
        </button>
        <span data-testid="pager-info">
          {props.rows.length === 0 ? '0 rows' : `${start + 1}–${start + view.length} of ${props.rows.length}`} · page{' '}
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
