import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { repoRoot } from '../../support/repoRoot.js';

/** Bytes gzipped for the whole tracker, the lead-capture issue's phone/email substitution and form tagging included. */
const BUDGET_GZIPPED = 3072;

test('when t.js is gzipped at level 9, then it stays within the 3,072-byte budget', () => {
  const code = fs.readFileSync(path.join(repoRoot, 'dist/tracker/t.js'));
  const gzipped = zlib.gzipSync(code, { level: 9 }).length;
  console.log(`tracker: ${code.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZIPPED})`);
  assert.ok(gzipped <= BUDGET_GZIPPED, `t.js is ${gzipped} bytes gzipped, over the ${BUDGET_GZIPPED}-byte budget`);
});
