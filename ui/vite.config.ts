/**
 * Builds the Explorer (docs/ui.md) from ui/ into dist/ui/, served by `lancelog serve --ui`
 * at /ui/. Run by `npm run build`. Preact's JSX runtime; the graph (Cytoscape) and the
 * editor (CodeMirror) are split into chunks loaded when a view needs them.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The sizes are reported by scripts/ui-size.ts; Cytoscape alone is ~430 kB unminified.
    chunkSizeWarningLimit: 600,
    reportCompressedSize: false,
  },
});
