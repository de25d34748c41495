import { describe, expect, it } from 'vitest';
import { errorRate, label, rangeFor, toSeries, topN, type UsageRow } from '../src/lib/usage';

const now = Date.parse('2026-12-02T06:20:00Z');

describe('rangeFor', () => {
  it('covers the last 24 hours in hourly buckets, the current one included', () => {
    const r = rangeFor('24h', now);
    expect(r.unit).toBe('hour');
    expect(r.to).toBe('2026-12-02T07:00:00.000Z');
    expect(r.from).toBe('2026-12-01T07:00:00.000Z');
  });
  it('uses days for 30 days', () => {
    const r = rangeFor('30d', now);
    expect(r.unit).toBe('day');
    expect(r.to).toBe('2026-12-03T00:00:00.000Z');
    expect(r.from).toBe('2026-11-02T00:00:00.000Z');
  });
});

describe('toSeries', () => {
  it('puts rows into their buckets and fills quiet ones with zero', () => {
    const rows: UsageRow[] = [
      { group: '2026-12-02T05:00:00Z', bucket: '2026-12-02T05:00:00Z', requests: 10, errors: 1, total_tokens: 100, cost: 0.5 },
      { group: '2026-12-02T03:00:00Z', bucket: '2026-12-02T03:00:00Z', requests: 4, errors: 0, total_tokens: 40, cost: null },
    ];
    const s = toSeries(rows, '2026-12-02T02:00:00Z', '2026-12-02T07:00:00Z', 'hour');
    expect(s.x).toEqual([2, 3, 4, 5, 6].map((h) => Date.parse(`2026-12-02T0${h}:00:00Z`) / 1000));
    expect(s.requests).toEqual([0, 4, 0, 10, 0]);
    expect(s.errors).toEqual([0, 0, 0, 1, 0]);
    expect(s.cost).toEqual([0, null, 0, 0.5, 0]);
  });
  it('accepts the bucket in `group` and ignores rows that are not times', () => {
    const s = toSeries([{ group: '2026-12-01', requests: 3 }, { group: 'oops', requests: 9 }], '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z', 'day');
    expect(s.requests).toEqual([3, 0]);
  });
});

describe('topN and errorRate', () => {
  it('orders by the metric, then by name', () => {
    const rows: UsageRow[] = [
      { group: 'b', requests: 5 },
      { group: 'a', requests: 5 },
      { group: 'c', requests: 9 },
      { group: 'd' },
    ];
    expect(topN(rows, 3).map((r) => r.group)).toEqual(['c', 'a', 'b']);
  });
  it('has no error rate without requests', () => {
    expect(errorRate({ requests: 0, errors: 0 })).toBeNull();
    expect(errorRate({ requests: 200, errors: 3 })).toBeCloseTo(0.015);
  });
});

describe('label', () => {
  it('names ids it knows and clips long text', () => {
    const names = new Map([['3', 'acme']]);
    expect(label('3', names)).toBe('acme (#3)');
    expect(label('4', names)).toBe('#4 (deleted)');
    expect(label('4', null)).toBe('#4');
    expect(label('gpt-4o')).toBe('gpt-4o');
    expect(label('', names)).toBe('(none)');
    expect(label('x'.repeat(100))).toHaveLength(40);
  });
});
