/**
 * The built widget.zip (npm run build:widget) against amocrm.md section 5: the archive layout
 * (files at the root), manifest.json's fields, i18n for every locale with every key the manifest
 * names, images in exactly the pixel sizes the file requires (read from the PNG headers), each
 * under 300 KB, and script.js as a RequireJS module whose widget sets the callbacks amoCRM calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import JSZip from 'jszip';
import { repoRoot } from '../../support/repoRoot.js';

const zipPath = path.join(repoRoot, 'dist/widget/widget.zip');

/** amocrm.md 5.1: name -> [width, height]; logo_dp.png only with the digital_pipeline location. */
const REQUIRED_IMAGES: Record<string, [number, number]> = {
  'images/logo_main.png': [400, 272],
  'images/logo_small.png': [108, 108],
  'images/logo_medium.png': [240, 84],
  'images/logo_min.png': [84, 84],
  'images/logo.png': [130, 100],
};

/** Width and height from a PNG's IHDR chunk (bytes 16-23), after checking the signature. */
function pngSize(bytes: Buffer): [number, number] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(bytes.subarray(12, 16).toString('ascii'), 'IHDR');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

async function openZip() {
  assert.ok(fs.existsSync(zipPath), `${zipPath} is missing: run npm run build:widget`);
  return JSZip.loadAsync(fs.readFileSync(zipPath));
}

function i18nValue(texts: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), texts);
}

test('when widget.zip is built, then its files are at the root: manifest.json, script.js, i18n/ru.json, i18n/en.json and the required images', async () => {
  const zip = await openZip();
  const files = Object.values(zip.files).filter((entry) => !entry.dir).map((entry) => entry.name).sort();
  assert.deepEqual(files, ['i18n/en.json', 'i18n/ru.json', ...Object.keys(REQUIRED_IMAGES), 'manifest.json', 'script.js'].sort());
});

test('when the manifest is read, then it is interface version 2 with lcard-1, settings and advanced_settings, ru and en, a required server address setting', async () => {
  const zip = await openZip();
  const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as {
    widget: Record<string, unknown>;
    locations: string[];
    settings: Record<string, { name: string; type: string; required: boolean }>;
    advanced: { title: string };
  };
  assert.equal(manifest.widget.interface_version, 2);
  assert.equal(manifest.widget.init_once, false);
  assert.equal(manifest.widget.installation, true);
  assert.match(String(manifest.widget.version), /^\d+\.\d+\.\d+$/);
  assert.deepEqual(manifest.widget.locale, ['ru', 'en']);
  assert.deepEqual(manifest.locations, ['lcard-1', 'settings', 'advanced_settings']);
  assert.deepEqual(manifest.settings.server_url, { name: 'settings.server_url', type: 'text', required: true });
  for (const setting of Object.values(manifest.settings)) assert.ok(['text', 'pass', 'users', 'users_lp', 'custom'].includes(setting.type));
  assert.ok(!manifest.locations.includes('digital_pipeline'), 'so logo_dp.png is not required');

  // Every i18n key the manifest names exists in every locale's file.
  const keys = [manifest.widget.name, manifest.widget.description, manifest.widget.short_description, manifest.advanced.title, ...Object.values(manifest.settings).map((setting) => setting.name)];
  for (const locale of manifest.widget.locale as string[]) {
    const texts = JSON.parse(await zip.file(`i18n/${locale}.json`)!.async('string')) as Record<string, unknown>;
    for (const key of keys) {
      const value = i18nValue(texts, String(key));
      assert.equal(typeof value, 'string', `${locale}: ${String(key)}`);
      assert.ok((value as string).length > 0, `${locale}: ${String(key)} is empty`);
    }
    assert.equal(i18nValue(texts, 'panel.lang'), locale, 'the panel reads its language from here');
  }
});

test('when the images are read from their PNG headers, then each has exactly the size amoCRM requires and is under 300 KB', async () => {
  const zip = await openZip();
  for (const [name, size] of Object.entries(REQUIRED_IMAGES)) {
    const bytes = await zip.file(name)!.async('nodebuffer');
    assert.deepEqual(pngSize(bytes), size, name);
    assert.ok(bytes.length <= 300 * 1024, `${name} is ${bytes.length} bytes`);
  }
});

test('when script.js is loaded as RequireJS would, then it defines a module on jquery whose widget sets every callback amoCRM calls', async () => {
  const zip = await openZip();
  const source = await zip.file('script.js')!.async('string');
  const defined: Array<{ deps: string[]; factory: (...args: unknown[]) => unknown }> = [];
  const sandbox = { define: (deps: string[], factory: (...args: unknown[]) => unknown) => defined.push({ deps, factory }), URL, Intl };
  vm.runInNewContext(source, sandbox);
  assert.equal(defined.length, 1, 'exactly one define()');
  assert.deepEqual([...defined[0]!.deps], ['jquery']);
  const Widget = defined[0]!.factory(() => undefined) as new () => { callbacks: Record<string, unknown> };
  assert.equal(typeof Widget, 'function');
  const widget = new Widget();
  for (const callback of ['render', 'init', 'bind_actions', 'settings', 'onSave', 'destroy', 'advancedSettings']) {
    assert.equal(typeof widget.callbacks[callback], 'function', callback);
  }
  const onSave = widget.callbacks.onSave as (data: unknown) => boolean;
  assert.equal(onSave({ active: 'Y', fields: { server_url: 'https://lf.example.com' } }), true);
  assert.equal(onSave({ active: 'Y', fields: { server_url: 'lf.example.com' } }), false, 'an address without a scheme is refused');
  assert.equal(onSave({ active: 'Y', fields: {} }), false);
});
