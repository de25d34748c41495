import { describe, expect, it } from 'vitest';
import { clip, fmtCompact, fmtCost, fmtInt, fmtMs, fmtPct, fmtTime } from '../src/lib/format';

describe('format', () => {
  it('formats counts', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(null)).toBe('–');
    expect(fmtCompact(999)).toBe('999');
    expect(fmtCompact(1250)).toBe('1.3k');
    expect(fmtCompact(3_400_000)).toBe('3.4M');
  });
  it('tells an unpriced cost from zero', () => {
    expect(fmtCost(null)).toBe('n/a');
    expect(fmtCost(0)).toBe('0 USD');
    expect(fmtCost(0.000125, 'EUR')).toBe('0.000125 EUR');
    expect(fmtCost(12.5)).toBe('12.5 USD');
    expect(fmtCost(1234.567)).toBe('1234.57 USD');
  });
  it('formats latency, ratios and times', () => {
    expect(fmtMs(12.4)).toBe('12 ms');
    expect(fmtMs(15000)).toBe('15 s');
    expect(fmtPct(1, 3)).toBe('33%');
    expect(fmtPct(1, 200)).toBe('0.50%');
    expect(fmtPct(1, 0)).toBe('–');
    expect(fmtTime('2026-12-02T06:30:01.123Z')).toBe('2026-12-02 06:30:01');
    expect(fmtTime('garbage')).toBe('garbage');
  });
  it('clips long text', () => {
    expect(clip('x'.repeat(10000), 10)).toHaveLength(10);
    expect(clip(null)).toBe('');
    expect(clip({ a: 1 })).toBe('{"a":1}');
  });
});
