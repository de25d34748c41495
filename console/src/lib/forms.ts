// Turning form text into API bodies. Only the shape is checked here (a list, an integer,
// JSON); the API validates the meaning and its error names the field, which the form
// shows next to that field.

export class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

// "a, b\nc" -> ["a", "b", "c"]: commas or newlines, blanks dropped, order kept, no dups.
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\n,]/)) {
    const t = part.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

// "200,000", "200 000" and "200_000" are 200000, as the console itself shows numbers with
// grouping separators: only groups of exactly three digits count, so "2,5" stays refused.
export function ungroup(text: string): string {
  const t = text.trim();
  return /^-?\d{1,3}([,_\s\u00a0\u202f]\d{3})+(\.\d+)?$/.test(t) ? t.replace(/[,_\s\u00a0\u202f]/g, '') : t;
}

export function parseIntField(field: string, text: string, min: number, max: number): number {
  const t = ungroup(text);
  if (!/^-?\d+$/.test(t)) throw new FieldError(field, `${field} must be a whole number`);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FieldError(field, `${field} must be between ${min} and ${max}`);
  return n;
}

export function parseNumberField(field: string, text: string, min: number): number {
  const t = ungroup(text);
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) throw new FieldError(field, `${field} must be a number`);
  if (n < min) throw new FieldError(field, `${field} must be at least ${min}`);
  return n;
}

// Optional number: "" -> undefined (the field is left out of the body).
export function parseOptionalNumber(field: string, text: string, min: number): number | undefined {
  return text.trim() === '' ? undefined : parseNumberField(field, text, min);
}

export function parseJsonObject(field: string, text: string): Record<string, unknown> {
  const t = text.trim();
  if (t === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    throw new FieldError(field, `${field} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FieldError(field, `${field} must be a JSON object`);
  return v as Record<string, unknown>;
}

// <input type="datetime-local"> value (local time, no zone) <-> RFC 3339 UTC.
export function localInputToIso(v: string): string | null {
  if (!v.trim()) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new FieldError('expires_at', 'expires_at is not a valid date');
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// Feature flag values typed in a text box: true/false and numbers keep their JSON type,
// anything else is a string; "" deletes the flag (null).
export function parseFlagValue(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === '') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(t) && Number.isFinite(Number(t))) return Number(t);
  return text;
}

// Client-side search over loaded rows: every word must appear in one of the fields.
export function matchesSearch(row: Record<string, unknown>, query: string, fields: string[]): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fields
    .map((f) => {
      const v = row[f];
      return v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    })
    .join('\u0000')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

// Does the API's error field ("models[2]", "model_limits.gpt-4o") belong to a form field?
export function fieldMatches(errorField: string | undefined, name: string): boolean {
  if (!errorField) return false;
  if (errorField === name) return true;
  return errorField.startsWith(`${name}[`) || errorField.startsWith(`${name}.`);
}
