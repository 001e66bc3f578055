#!/usr/bin/env node
// Builds the website tracker: type-checks tracker/ against the DOM (its own tsconfig), bundles
// tracker/src/index.ts with esbuild into one minified ES2017 IIFE, dist/tracker/t.js, and prints
// its size. tests/unit/tracker/budget.test.ts fails the suite above the budget.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(repoRoot, 'dist/tracker/t.js');
/** Bytes gzipped, for the whole tracker including the lead-capture features still to come. */
const BUDGET_GZIPPED = 3072;

try {
  execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-p', path.join(repoRoot, 'tracker/tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('tracker: type errors, see above');
  process.exit(1);
}

await build({
  entryPoints: [path.join(repoRoot, 'tracker/src/index.ts')],
  outfile,
  bundle: true,
  format: 'iife',
  target: 'es2017',
  platform: 'browser',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const code = fs.readFileSync(outfile);
const gzipped = zlib.gzipSync(code, { level: 9 }).length;
console.log(`tracker: ${code.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZIPPED})`);
