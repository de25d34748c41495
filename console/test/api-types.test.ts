import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module without type declarations
import { generate, OUT } from '../scripts/api-types.mjs';

describe('API types', () => {
  it('src/api/openapi.d.ts is what docs/openapi.yaml generates (run npm run api-types)', async () => {
    const want: string = await generate();
    expect(readFileSync(OUT as string, 'utf8') === want).toBe(true);
  }, 60000);
});
