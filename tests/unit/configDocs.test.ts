import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configVariableNames, loadConfig } from '../../server/config.js';
import { repoRoot } from '../support/repoRoot.js';

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

test('when the config module declares a variable, then .env.example documents it', () => {
  const example = read('.env.example');
  const missing = configVariableNames().filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
  assert.deepEqual(missing, []);
});

test('when the config module declares a variable, then docs/configuration.md lists it', () => {
  const reference = read('docs/configuration.md');
  const missing = configVariableNames().filter((name) => !reference.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test('when .env.example is copied as it is, then the configuration is the default one', () => {
  const values: Record<string, string> = {};
  for (const line of read('.env.example').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1]) values[match[1]] = match[2] ?? '';
  }
  assert.deepEqual(loadConfig(values), loadConfig({}));
});

test('when docker-compose.yml passes a variable, then it is one the config module knows', () => {
  const compose = read('docker-compose.yml');
  const known = new Set([...configVariableNames(), 'POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD']);
  const passed = [...compose.matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1] ?? '');
  assert.ok(passed.length >= 4, 'the compose file sets environment variables');
  assert.deepEqual(passed.filter((name) => !known.has(name)), []);
});
