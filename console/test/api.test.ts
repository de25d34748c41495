import { FieldError } from '../src/lib/forms';
import { describe, expect, it } from 'vitest';
import { Api, ApiError, describeError, qs, toApiError } from '../src/lib/api';

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fn = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : body, { status, headers });
  };
  return { fn, calls };
}

describe('toApiError', () => {
  it('keeps the API message, code and field', () => {
    const e = toApiError(400, { error: 'weight must be an integer', code: 'invalid_field', field: 'weight' });
    expect(e.message).toBe('weight must be an integer');
    expect(e.code).toBe('invalid_field');
    expect(e.field).toBe('weight');
    expect(e.status).toBe(400);
  });
  it('falls back to the status when the body is not the API shape', () => {
    const e = toApiError(502, null, 'rid-1');
    expect(e.message).toBe('the API is not answering');
    expect(e.code).toBe('http_502');
    expect(e.field).toBeUndefined();
    expect(e.requestId).toBe('rid-1');
  });
  it('ignores non-string members', () => {
    const e = toApiError(409, { error: 42, code: ['x'], field: {} });
    expect(e.message).toBe('conflict');
    expect(e.field).toBeUndefined();
  });
});

describe('describeError', () => {
  it('names the field and the code', () => {
    const d = describeError(new ApiError(400, 'bad name', 'invalid_field', 'name', 'r1'));
    expect(d).toEqual({ message: 'bad name', field: 'name', detail: 'invalid_field, HTTP 400, request r1' });
  });
  it('handles plain errors and strings', () => {
    expect(describeError(new Error('boom')).message).toBe('boom');
    expect(describeError('x').message).toBe('x');
  });
});

describe('qs', () => {
  it('drops empty values and encodes the rest', () => {
    expect(qs({ a: 1, b: '', c: null, d: undefined, e: 'x y&z' })).toBe('?a=1&e=x+y%26z');
    expect(qs({})).toBe('');
  });
});

describe('client-side field errors', () => {
  it('name their field and say nothing was sent, not the class name', () => {
    const d = describeError(new FieldError('max_child_keys', 'max_child_keys must be a whole number'));
    expect(d).toEqual({ message: 'max_child_keys must be a whole number', field: 'max_child_keys', detail: 'not sent' });
  });
});

describe('Api', () => {
  it('sends the bearer token and JSON body, and parses the answer', async () => {
    const f = fakeFetch(201, '{"id":7}', { 'content-type': 'application/json' });
    const api = new Api('tok', () => {}, f.fn);
    const r = await api.post<{ id: number }>('/providers', { name: 'p' });
    expect(r.id).toBe(7);
    const h = f.calls[0]!.init!.headers as Record<string, string>;
    expect(h['Authorization']).toBe('Bearer tok');
    expect(h['Content-Type']).toBe('application/json');
    expect(f.calls[0]!.init!.body).toBe('{"name":"p"}');
    expect(f.calls[0]!.init!.credentials).toBe('omit');
  });
  it('sends nothing once the session is no longer live', async () => {
    const f = fakeFetch(200, '{}');
    let live = true;
    const api = new Api('tok', () => {}, f.fn, () => live);
    await api.get('/providers');
    live = false;
    await expect(api.get('/providers')).rejects.toMatchObject({ code: 'signed_out' });
    expect(f.calls.length).toBe(1);
  });
  it('throws ApiError with the field and tells the app about a 401', async () => {
    let told = 0;
    const api401 = new Api('t', () => told++, fakeFetch(401, '{"error":"bad token","code":"unauthorized"}').fn);
    await expect(api401.get('/keys')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(told).toBe(1);
    const api400 = new Api('t', () => told++, fakeFetch(400, '{"error":"limit out of range","code":"invalid_field","field":"limit"}').fn);
    await expect(api400.get('/keys', { limit: 9999 })).rejects.toMatchObject({ field: 'limit' });
    expect(told).toBe(1);
  });
  it('returns undefined for 204', async () => {
    const api = new Api('t', () => {}, fakeFetch(204, '').fn);
    await expect(api.del('/keys/1')).resolves.toBeUndefined();
  });
  it('reports a network failure as an ApiError', async () => {
    const api = new Api('t', () => {}, async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.get('/x')).rejects.toMatchObject({ status: 0, code: 'network' });
  });
  it('walks every page of a list, bounded', async () => {
    const pages: Record<string, string> = {
      '': '{"items":[1,2],"next_cursor":"c1"}',
      c1: '{"items":[3],"next_cursor":"c2"}',
      c2: '{"items":[4],"next_cursor":null}',
    };
    const fn = async (url: string) => {
      const c = new URL(url, 'http://x').searchParams.get('cursor') ?? '';
      return new Response(pages[c], { status: 200 });
    };
    const api = new Api('t', () => {}, fn);
    expect(await api.all<number>('/keys')).toEqual({ items: [1, 2, 3, 4], truncated: false });
    expect(await api.all<number>('/keys', {}, 2)).toEqual({ items: [1, 2], truncated: true });
  });
});
