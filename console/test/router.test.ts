import { describe, expect, it } from 'vitest';
import { hrefFor, pagesFor, parseRoute } from '../src/lib/router';

describe('router', () => {
  it('parses the page and the query', () => {
    expect(parseRoute('/console/logs', '?model=gpt&status=500')).toEqual({ page: 'logs', params: { model: 'gpt', status: '500' } });
    expect(parseRoute('/console/', '')).toEqual({ page: 'dashboard', params: {} });
    expect(parseRoute('/console/keys/', '')).toEqual({ page: 'keys', params: {} });
  });
  it('names no page for an unknown path', () => {
    expect(parseRoute('/console/nope', '').page).toBeNull();
    expect(parseRoute('/console/dashboardx/1', '').page).toBeNull();
    expect(parseRoute('/console', '').page).toBe('dashboard');
  });
  it('builds links without empty parameters', () => {
    expect(hrefFor('keys', { master_id: '3', status: '' })).toBe('/console/keys?master_id=3');
    expect(hrefFor('dashboard')).toBe('/console/');
    expect(parseRoute('/console/logs', hrefFor('logs', { model: 'a&b=c' }).split('?')[1]!).params).toEqual({ model: 'a&b=c' });
  });
  it('gives a master key the tenant pages only', () => {
    expect(pagesFor('master').map((p) => p.id)).toEqual(['dashboard', 'keys', 'logs']);
    expect(pagesFor('admin')).toHaveLength(10);
  });
});
