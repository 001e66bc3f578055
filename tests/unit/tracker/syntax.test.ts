import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { transform } from 'esbuild';
import { repoRoot } from '../../support/repoRoot.js';

const code = fs.readFileSync(path.join(repoRoot, 'dist/tracker/t.js'), 'utf8');

/**
 * esbuild as the judge: printing t.js for ES2017 must change nothing compared with printing it
 * for the newest JavaScript. Any syntax newer than ES2017 (`?.`, `??`, `??=`, object spread,
 * `catch {}` without a binding, class fields, ...) would be lowered, and the two prints differ.
 */
async function newerThanEs2017(source: string): Promise<boolean> {
  const [newest, es2017] = await Promise.all([
    transform(source, { target: 'esnext', loader: 'js' }),
    transform(source, { target: 'es2017', loader: 'js' }),
  ]);
  return newest.code !== es2017.code;
}

test('when t.js is parsed, then it is one valid script', () => {
  assert.doesNotThrow(() => new Function(code));
});

test('when t.js is printed for ES2017, then nothing needs lowering (no syntax newer than ES2017)', async () => {
  assert.equal(await newerThanEs2017(code), false);
});

for (const [feature, snippet] of [
  ['optional chaining', 'var a = window.x?.y;'],
  ['nullish coalescing', 'var a = window.x ?? 1;'],
  ['logical assignment', 'var a = {}; a.b ??= 1;'],
  ['object spread', 'var a = { ...window.x };'],
  ['a catch without a binding', 'try { f(); } catch { g(); }'],
  ['an async generator', 'async function* f() {}'],
] as const) {
  test(`when a script uses ${feature}, then the ES2017 check notices it`, async () => {
    assert.equal(await newerThanEs2017(snippet), true);
  });
}
