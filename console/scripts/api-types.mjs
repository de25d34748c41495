// The API's TypeScript types, generated from docs/openapi.yaml by openapi-typescript into
// src/api/openapi.d.ts (committed, types only: nothing reaches the bundle). Run with
// `npm run api-types` after changing docs/openapi.yaml; test/api-types.test.ts fails when
// the committed file is not what this produces.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const SPEC = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
export const OUT = fileURLToPath(new URL('../src/api/openapi.d.ts', import.meta.url));

const HEADER = `// Generated from docs/openapi.yaml by console/scripts/api-types.mjs (npm run api-types).
// Do not edit: change the OpenAPI document and generate again.

`;

export async function generate() {
  const ast = await openapiTS(pathToFileURL(SPEC), { silent: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUT, await generate());
  console.log(`wrote ${OUT}`);
}
