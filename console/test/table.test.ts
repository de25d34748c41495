import { describe, expect, it } from 'vitest';
import { compareValues, sortRows } from '../src/ui/Table';

describe('table sorting', () => {
  it('sorts numbers by value and text naturally, keeping empty values last', () => {
    const rows = [{ n: 10, s: 'b2' }, { n: 9, s: 'b10' }, { n: null, s: '' }, { n: 100, s: 'A1' }];
    expect(sortRows(rows, (r) => r.n, 'ascending').map((r) => r.n)).toEqual([9, 10, 100, null]);
    expect(sortRows(rows, (r) => r.n, 'descending').map((r) => r.n)).toEqual([100, 10, 9, null]);
    expect(sortRows(rows, (r) => r.s, 'ascending').map((r) => r.s)).toEqual(['A1', 'b2', 'b10', '']);
  });
  it('compares numeric strings as numbers and keeps equal rows in order', () => {
    expect(compareValues('200', '30')).toBeGreaterThan(0);
    const rows = [{ k: 1, id: 'a' }, { k: 1, id: 'b' }, { k: 0, id: 'c' }];
    expect(sortRows(rows, (r) => r.k, 'descending').map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
