#!/usr/bin/env node
// Builds the deal-card widget (widget/, issue 7):
//   dist/widget/bitrix24/panel.js, panel.css, b24frame.js   the Bitrix24 tab's assets (served by /widget/assets/)
//   dist/widget/amocrm/                                     the amoCRM widget unpacked: manifest.json, script.js, i18n/, images/
//   dist/widget/widget.zip                                  the same, zipped at the archive's root, for upload to amoCRM
// Type-checks widget/ against the DOM first (widget/tsconfig.json) and prints each file's size.
// Optional: WIDGET_SUPPORT_LINK and WIDGET_SUPPORT_EMAIL fill the manifest's support block (needed
// for a marketplace submission, amocrm.md 5.7).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import JSZip from 'jszip';
import { AMOCRM_IMAGES, drawLogo } from '../widget/amocrm/images.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repoRoot, 'dist/widget');
const amoDir = path.join(out, 'amocrm');
const b24Dir = path.join(out, 'bitrix24');
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

try {
  execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-p', path.join(repoRoot, 'widget/tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('widget: type errors, see above');
  process.exit(1);
}
// Only what this script writes: tsc puts the compiled widget/shared modules (used by unit tests) into dist/widget too.
for (const target of [amoDir, b24Dir, path.join(out, 'widget.zip')]) fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(path.join(amoDir, 'i18n'), { recursive: true });
fs.mkdirSync(path.join(amoDir, 'images'), { recursive: true });
fs.mkdirSync(b24Dir, { recursive: true });

const common = { bundle: true, minify: true, target: 'es2019', platform: 'browser', legalComments: 'none', logLevel: 'warning', loader: { '.css': 'text' } };

// amoCRM: one RequireJS module. The bundle is an IIFE assigned to a local inside define(), which
// returns the widget's constructor, as amoCRM expects (amocrm.md 5.3).
await build({
  ...common,
  entryPoints: [path.join(repoRoot, 'widget/amocrm/script.ts')],
  outfile: path.join(amoDir, 'script.js'),
  format: 'iife',
  globalName: 'LongFunnelWidget',
  banner: { js: "define(['jquery'], function ($) {" },
  footer: { js: 'return LongFunnelWidget.createWidget();\n});' },
});

// Bitrix24: the panel script, its styles, and the frame helper (only the SDK's frame classes).
await build({ ...common, entryPoints: [path.join(repoRoot, 'widget/bitrix24/page.ts')], outfile: path.join(b24Dir, 'panel.js'), format: 'iife' });
await build({ ...common, loader: {}, entryPoints: [path.join(repoRoot, 'widget/shared/panel.css')], outfile: path.join(b24Dir, 'panel.css') });
await build({
  ...common,
  entryPoints: [path.join(repoRoot, 'widget/bitrix24/frame.ts')],
  outfile: path.join(b24Dir, 'b24frame.js'),
  format: 'iife',
  alias: { 'b24jssdk-frame': './node_modules/@bitrix24/b24jssdk/dist/esm/frame' },
});

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'widget/amocrm/manifest.json'), 'utf8'));
manifest.widget.version = pkg.version;
const support = {
  ...(process.env.WIDGET_SUPPORT_LINK ? { link: process.env.WIDGET_SUPPORT_LINK } : {}),
  ...(process.env.WIDGET_SUPPORT_EMAIL ? { email: process.env.WIDGET_SUPPORT_EMAIL } : {}),
};
if (Object.keys(support).length) manifest.widget.support = support;
fs.writeFileSync(path.join(amoDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
for (const locale of manifest.widget.locale) {
  fs.copyFileSync(path.join(repoRoot, `widget/amocrm/i18n/${locale}.json`), path.join(amoDir, `i18n/${locale}.json`));
}
for (const [name, [width, height]] of Object.entries(AMOCRM_IMAGES)) fs.writeFileSync(path.join(amoDir, 'images', name), drawLogo(width, height));

const zip = new JSZip();
const files = [];
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else files.push(path.relative(amoDir, full).split(path.sep).join('/'));
  }
};
walk(amoDir);
for (const file of files) zip.file(file, fs.readFileSync(path.join(amoDir, file)), { date: new Date('2026-01-01T00:00:00Z') });
fs.writeFileSync(path.join(out, 'widget.zip'), await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } }));

const size = (file) => {
  const body = fs.readFileSync(file);
  return `${body.length} bytes, ${zlib.gzipSync(body, { level: 9 }).length} gzipped`;
};
console.log(`widget: amoCRM script.js ${size(path.join(amoDir, 'script.js'))}; widget.zip ${fs.statSync(path.join(out, 'widget.zip')).size} bytes (${files.length} files)`);
console.log(`widget: Bitrix24 panel.js ${size(path.join(b24Dir, 'panel.js'))}; panel.css ${size(path.join(b24Dir, 'panel.css'))}; b24frame.js ${size(path.join(b24Dir, 'b24frame.js'))}`);
if (!manifest.widget.support) console.log('widget: no WIDGET_SUPPORT_LINK / WIDGET_SUPPORT_EMAIL: fine for a private integration; a marketplace submission needs them');
