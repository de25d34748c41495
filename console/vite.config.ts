import { defineConfig } from 'vitest/config';

// The console is served by nginx under /console/; every asset name carries a content
// hash, so nginx can cache /console/assets/ forever and only index.html is revalidated.
// EZ_CONSOLE_OUT is where scripts/build (via CMake) puts the files: <root>/console/.
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: process.env.EZ_CONSOLE_OUT || 'dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill would be an extra script; every browser we support has it.
    modulePreload: { polyfill: false },
    // Inlined (data:) assets would need a looser CSP; keep every asset a file.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
