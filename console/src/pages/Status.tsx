import { useEffect, useState } from 'preact/hooks';
import { fmtTime } from '../lib/format';
import { useApp } from '../ui/context';
import { ErrorBox } from '../ui/ErrorBox';
import { Badge } from '../ui/fields';
import { healthSummary } from '../lib/status';

type Doc = Record<string, unknown>;

const scalar = (v: unknown) => v === null || typeof v !== 'object';

function Scalars(props: { doc: Doc }) {
  const entries = Object.entries(props.doc).filter(([, v]) => scalar(v));
  return (
    <dl class="kv cards">
      {entries.map(([k, v]) => (
        <div class="card" key={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>
            {typeof v === 'boolean' ? (
              <Badge value={v ? 'yes' : 'no'} />
            ) : k.endsWith('_time') && typeof v === 'number' ? (
              fmtTime(v * 1000)
            ) : v === null ? (
              '–'
            ) : (
              String(v)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Rows(props: { rows: Doc[] }) {
  const cols = [...new Set(props.rows.flatMap((r) => Object.keys(r)))];
  return (
    <div class="table-wrap">
      <table class="grid compact">
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c}>{c === 'state' || c === 'status' ? <Badge value={String(r[c] ?? '')} /> : scalar(r[c]) ? String(r[c] ?? '') : JSON.stringify(r[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// Renders whatever /admin/status reports: scalars as cards, arrays of objects as tables,
// nested objects (log queue, flusher, sync) as their own sections.
function Section(props: { title: string; doc: Doc }) {
  const nested = Object.entries(props.doc).filter(([, v]) => !scalar(v));
  return (
    <section class="status-section">
      <h2>{props.title}</h2>
      <Scalars doc={props.doc} />
      {nested.map(([k, v]) =>
        Array.isArray(v) ? (
          <div key={k}>
            <h3>{k.replace(/_/g, ' ')}</h3>
            {v.length && typeof v[0] === 'object' ? <Rows rows={v as Doc[]} /> : <p>{JSON.stringify(v)}</p>}
          </div>
        ) : (
          <Section key={k} title={k.replace(/_/g, ' ')} doc={v as Doc} />
        ),
      )}
    </section>
  );
}

export function StatusPage() {
  const app = useApp();
  const [doc, setDoc] = useState<Doc | null>(null);
  const [ready, setReady] = useState<Doc | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [auto, setAuto] = useState(true);
  const load = async () => {
    try {
      const [s, r] = await Promise.all([
        app.api.get<Doc>('/admin/status'),
        fetch('/readyz', { cache: 'no-store' }).then((x) => x.json() as Promise<Doc>).catch(() => null),
      ]);
      setDoc(s);
      setReady(r);
      setErr(null);
    } catch (e) {
      setErr(e);
    }
  };
  useEffect(() => {
    void load();
    if (!auto) return;
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [app.api, auto]);
  return (
    <section data-testid="status">
      <div class="page-head">
        <h1>Status</h1>
        <div class="toolbar">
          <label class="check">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.currentTarget as HTMLInputElement).checked)} /> refresh every 5 s
          </label>
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorBox error={err} />
      {doc || ready ? (
        <div class="tiles" data-testid="health">
          {healthSummary(doc, ready).map((h) => (
            <div key={h.id} class={h.bad ? 'tile bad' : 'tile'} data-testid={`health-${h.id}`}>
              <div class="tile-label">{h.label}</div>
              <div class="tile-value">{h.value}</div>
              {h.sub ? <div class="tile-sub">{h.sub}</div> : null}
            </div>
          ))}
        </div>
      ) : null}
      {/* The documents as the API sends them, for when the summary is not enough. */}
      <details class="raw" data-testid="raw-status">
        <summary>Raw status documents</summary>
        {ready ? <Section title="Readiness (/readyz)" doc={ready} /> : null}
        {doc ? <Section title="Worker pool (/admin/status)" doc={doc} /> : null}
      </details>
    </section>
  );
}
