#!/usr/bin/env node
// Builds the dashboard's browser code: type-checks dashboard/ against the DOM (its own tsconfig),
// bundles dashboard/src/main.ts (with uPlot and the CSS it imports) with esbuild into
// dist/dashboard/dashboard-<hash>.js and .css, and writes dist/dashboard/manifest.json naming them.
// The server reads the manifest once; the hashed names let it serve the files with a one-year cache.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repoRoot, 'dist/dashboard');

try {
  execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-p', path.join(repoRoot, 'dashboard/tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('dashboard: type errors, see above');
  process.exit(1);
}

fs.rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { dashboard: path.join(repoRoot, 'dashboard/src/main.ts') },
  outdir,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const manifest = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const name = path.basename(file);
  if (name.endsWith('.js')) manifest.script = name;
  else if (name.endsWith('.css')) manifest.style = name;
}
if (!manifest.script || !manifest.style) {
  console.error(`dashboard: expected one .js and one .css output, got ${JSON.stringify(Object.keys(result.metafile.outputs))}`);
  process.exit(1);
}
fs.writeFileSync(path.join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
for (const name of [manifest.script, manifest.style]) {
  const code = fs.readFileSync(path.join(outdir, name));
  console.log(`dashboard: ${name} ${code.length} bytes, ${zlib.gzipSync(code, { level: 9 }).length} bytes gzipped`);
}
