import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clip } from '../lib/format';

export interface Column<T> {
  key: string;
  title: string;
  render?: (row: T) => ComponentChildren;
  cls?: string;
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
  const p = clampPage(page, props.rows.length, size);
  useEffect(() => {
    if (p !== page) setPage(p);
  }, [p, page]);
  const start = p * size;
  const view = props.rows.slice(start, start + size);
  const pages = Math.max(1, Math.ceil(props.rows.length / size));
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
            {props.columns.map((c) => (
              <th key={c.key} class={c.cls}>
                {c.title}
              </th>
            ))}
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
