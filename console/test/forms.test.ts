import { describe, expect, it } from 'vitest';
import {
  FieldError, fieldMatches, localInputToIso, matchesSearch, parseFlagValue, parseIntField, parseNumberField, parseJsonObject, parseList,
  parseOptionalNumber,
} from '../src/lib/forms';
import { csvCell, toCsv } from '../src/lib/csv';
import { explain, summarize } from '../src/lib/resolution';
import * as tableMod from '../src/ui/Table';
const { clampPage } = tableMod;

describe('form parsing', () => {
  it('splits lists on commas and newlines, dropping blanks and duplicates', () => {
    expect(parseList(' a, b\n\nc,a ,')).toEqual(['a', 'b', 'c']);
    expect(parseList('')).toEqual([]);
  });
  it('checks integers and names the field', () => {
    expect(parseIntField('weight', ' 42 ', 0, 100)).toBe(42);
    expect(() => parseIntField('weight', '1.5', 0, 100)).toThrow(FieldError);
    try {
      parseIntField('priority', '-5', 0, 10);
    } catch (e) {
      expect((e as FieldError).field).toBe('priority');
    }
    expect(() => parseIntField('w', '99999999999999999999', 0, Number.MAX_SAFE_INTEGER)).toThrow(/between/);
  });
  it('reads optional prices', () => {
    expect(parseOptionalNumber('input_price', '', 0)).toBeUndefined();
    expect(parseOptionalNumber('input_price', '2.5', 0)).toBe(2.5);
    expect(() => parseOptionalNumber('input_price', '-1', 0)).toThrow(/at least/);
    expect(() => parseOptionalNumber('input_price', 'abc', 0)).toThrow(/number/);
  });
  it('parses a JSON object or explains why not', () => {
    expect(parseJsonObject('model_rate_limits', '')).toEqual({});
    expect(parseJsonObject('model_rate_limits', '{"gpt":{"rpm":5}}')).toEqual({ gpt: { rpm: 5 } });
    expect(() => parseJsonObject('model_rate_limits', '[1]')).toThrow(/JSON object/);
    expect(() => parseJsonObject('model_rate_limits', '{')).toThrow(/not valid JSON/);
  });
  it('converts a local datetime to RFC 3339 UTC', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2026-12-02T10:00')).toMatch(/^2026-12-0[12]T\d\d:00:00Z$/);
    expect(() => localInputToIso('nope')).toThrow(FieldError);
  });
  it('types feature flag values', () => {
    expect(parseFlagValue('true')).toBe(true);
    expect(parseFlagValue('false')).toBe(false);
    expect(parseFlagValue('12')).toBe(12);
    expect(parseFlagValue('redis')).toBe('redis');
    expect(parseFlagValue(' ')).toBeNull();
  });
  it('maps API error fields onto form fields', () => {
    expect(fieldMatches('models[2]', 'models')).toBe(true);
    expect(fieldMatches('model_limits.gpt', 'model_limits')).toBe(true);
    expect(fieldMatches('model_limits_enabled', 'model_limits')).toBe(false);
    expect(fieldMatches(undefined, 'name')).toBe(false);
  });
  it('searches loaded rows by every word', () => {
    const row = { name: 'OpenAI main', models: ['gpt-4o'], id: 7 };
    expect(matchesSearch(row, 'openai GPT', ['name', 'models'])).toBe(true);
    expect(matchesSearch(row, 'openai claude', ['name', 'models'])).toBe(false);
    expect(matchesSearch(row, '  ', ['name'])).toBe(true);
  });
});

describe('csv', () => {
  it('quotes per RFC 4180 and defuses formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-12.5')).toBe('-12.5');
    expect(csvCell(null)).toBe('');
    expect(toCsv([{ a: 1, b: 'x\ny' }], ['a', 'b'])).toBe('a,b\r\n1,"x\ny"\r\n');
  });
});

describe('binding resolution summary', () => {
  it('counts resolved and failing providers', () => {
    const s = summarize({
      ok: false,
      candidates: [
        {
          route_group: 'g',
          error: null,
          providers: [
            { provider_id: 1, provider_name: 'a', upstream: 'gpt-4o', error: null },
            { provider_id: 2, provider_name: 'b', upstream: null, error: 'several upstream models match: x, y' },
          ],
        },
      ],
    });
    expect(s).toMatchObject({ ok: false, resolved: 1, failed: 1 });
    expect(s.text).toBe('1 provider resolved; 1 failing');
  });
  it('explains the API codes in words', () => {
    expect(explain('ambiguous')).toMatch(/^ambiguous: several .* \(ambiguous\)$/);
    expect(explain('no_provider')).toContain('no active provider');
    expect(explain('something_new')).toBe('something_new');
    expect(explain(null)).toBe('');
  });
  it('reports a group error and an empty group', () => {
    expect(summarize({ ok: false, candidates: [{ route_group: 'g', error: 'no such group', providers: [] }] }).text).toBe('g: no such group');
    expect(summarize({ ok: true, candidates: [] }).text).toBe('no providers in the group');
    expect(summarize(undefined).ok).toBe(false);
  });
});

describe('table paging', () => {
  it('keeps the page inside the rows', () => {
    expect(clampPage(5, 120, 50)).toBe(2);
    expect(clampPage(3, 0, 50)).toBe(0);
    expect(clampPage(-1, 10, 50)).toBe(0);
  });
});

describe('table windowing', () => {
  it('renders the rows around the viewport plus an overscan', () => {
    const { windowFor } = tableMod;
    expect(windowFor(1000, 0, 900, 30)).toEqual({ start: 0, end: 50 });
    expect(windowFor(1000, 3000, 900, 30)).toEqual({ start: 80, end: 150 });
    expect(windowFor(1000, 1e9, 900, 30)).toEqual({ start: 980, end: 1000 });
    expect(windowFor(10, -500, 900, 30)).toEqual({ start: 0, end: 10 });
  });
  it('accepts numbers typed with grouping separators, as the console shows them', () => {
    expect(parseIntField('max_child_keys', '200,000', 0, 1e9)).toBe(200000);
    expect(parseIntField('max_child_keys', '1 234 567', 0, 1e9)).toBe(1234567);
    expect(parseIntField('n', '200_000', 0, 1e9)).toBe(200000);
    expect(parseNumberField('price', '1,250.5', 0)).toBe(1250.5);
    expect(() => parseIntField('n', '2,5', 0, 10)).toThrow(/whole number/);
    expect(() => parseIntField('n', '20,00', 0, 1e9)).toThrow(/whole number/);
  });
});
