import { FieldError } from './forms';

// The REST client: one place that adds the credential, parses JSON and turns every
// non-2xx answer into an ApiError carrying the API's message, code and field.

export interface ApiErrorBody {
  error?: unknown;
  code?: unknown;
  field?: unknown;
  request_id?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  constructor(status: number, message: string, code: string, field?: string, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'bad request',
  401: 'the credential was refused',
  403: 'this credential may not do that',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  413: 'request too large',
  429: 'too many requests; retry in a moment',
  500: 'internal error',
  502: 'the API is not answering',
  503: 'the API is unavailable',
  504: 'the API did not answer in time',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// Builds the error for an answer: the API's own JSON error when there is one, otherwise
// a message from the status (an nginx page, a proxy, an empty body).
export function toApiError(status: number, body: unknown, requestId?: string | null): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ApiErrorBody;
  const message = str(b.error) ?? STATUS_TEXT[status] ?? `HTTP ${status}`;
  const code = str(b.code) ?? (status === 0 ? 'network' : `http_${status}`);
  return new ApiError(status, message, code, str(b.field), str(b.request_id) ?? requestId ?? undefined);
}

// One line for a banner: "message (field: x) [code, HTTP 400]".
export function describeError(e: unknown): { message: string; field?: string; detail: string } {
  if (e instanceof ApiError) {
    const parts = [e.code];
    if (e.status) parts.push(`HTTP ${e.status}`);
    if (e.requestId) parts.push(`request ${e.requestId}`);
    const out: { message: string; field?: string; detail: string } = { message: e.message, detail: parts.join(', ') };
    if (e.field) out.field = e.field;
    return out;
  }
  // A form value the console could not turn into JSON: nothing was sent.
  if (e instanceof FieldError) return { message: e.message, field: e.field, detail: 'not sent' };
  if (e instanceof Error) return { message: e.message, detail: e.name };
  return { message: String(e), detail: '' };
}

export type QueryValue = string | number | boolean | null | undefined;

// "?a=1&b=x" from a map, leaving out empty values; "" when nothing is left.
export function qs(params: Record<string, QueryValue>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: (e: ApiError) => void = () => {},
    private readonly fetchFn: FetchFn = (i, o) => fetch(i, o),
    // Asked before every request: false once the session is over (signed out in this
    // tab), and then nothing is sent with the old credential.
    private readonly live: () => boolean = () => true,
  ) {}

  private async raw(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    if (!this.live()) throw new ApiError(401, 'signed out: sign in again', 'signed_out');
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: accept };
    const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp: Response;
    try {
      resp = await this.fetchFn(path, init);
    } catch (e) {
      throw new ApiError(0, `network error: ${e instanceof Error ? e.message : String(e)}`, 'network');
    }
    if (!resp.ok) {
      const text = await resp.text().catch(() => '');
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      const err = toApiError(resp.status, parsed, resp.headers.get('x-request-id'));
      if (resp.status === 401) this.onUnauthorized(err);
      throw err;
    }
    return resp;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const resp = await this.raw(method, path, body);
    if (resp.status === 204) return undefined as T;
    const text = await resp.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(resp.status, 'the API answered with something that is not JSON', 'bad_response');
    }
  }

  get<T>(path: string, params: Record<string, QueryValue> = {}): Promise<T> {
    return this.request<T>('GET', path + qs(params));
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  del(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
  // A download (CSV/NDJSON export): the body as a Blob.
  async blob(path: string, params: Record<string, QueryValue>, accept: string): Promise<Blob> {
    const resp = await this.raw('GET', path + qs(params), undefined, accept);
    return resp.blob();
  }

  // Every page of a list, up to `max` items (the console never loads unbounded lists).
  async all<T>(path: string, params: Record<string, QueryValue> = {}, max = 10000): Promise<{ items: T[]; truncated: boolean }> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...params, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return { items, truncated: cursor !== null };
  }
}

// Path segment encoding for ids and names (a model name may contain anything but '/').
export const seg = (v: string | number): string => encodeURIComponent(String(v));
