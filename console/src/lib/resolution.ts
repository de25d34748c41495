// Binding resolution as the API reports it (POST /admin/bindings/resolve, and the
// `resolution` of each listed binding), summarised for display.

export interface ResolvedProvider {
  provider_id: number;
  provider_name: string;
  upstream: string | null;
  error: string | null;
}

export interface ResolvedCandidate {
  route_group: string;
  error: string | null;
  providers: ResolvedProvider[];
}

export interface Resolution {
  ok: boolean;
  candidates: ResolvedCandidate[];
}

// The codes the API uses (config:bindings carries the same), in words.
const WORDS: Record<string, string> = {
  no_match: 'no upstream model of this provider matches',
  ambiguous: 'ambiguous: several upstream models of this provider match',
  no_provider: 'no active provider in this group, or no model matches',
  config_error: 'configuration error: several models of one provider match, or the selector cannot be evaluated',
};

export function explain(code: string | null | undefined): string {
  if (!code) return '';
  return WORDS[code] ? `${WORDS[code]} (${code})` : code;
}

export interface ResolutionSummary {
  ok: boolean;
  resolved: number; // providers with exactly one upstream
  failed: number;   // providers with an error
  text: string;     // one line for a table cell
}

export function summarize(r: Resolution | null | undefined): ResolutionSummary {
  if (!r || !Array.isArray(r.candidates)) return { ok: false, resolved: 0, failed: 0, text: 'unknown' };
  let resolved = 0;
  let failed = 0;
  const groupErrors: string[] = [];
  for (const c of r.candidates) {
    if (c.error) groupErrors.push(`${c.route_group}: ${explain(c.error)}`);
    for (const p of c.providers ?? []) {
      if (p.error) failed++;
      else if (p.upstream !== null) resolved++;
    }
  }
  const parts: string[] = [];
  if (resolved) parts.push(`${resolved} provider${resolved === 1 ? '' : 's'} resolved`);
  if (failed) parts.push(`${failed} failing`);
  parts.push(...groupErrors);
  if (parts.length === 0) parts.push('no providers in the group');
  return { ok: r.ok && failed === 0 && groupErrors.length === 0, resolved, failed, text: parts.join('; ') };
}
