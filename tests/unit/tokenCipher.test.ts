import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TokenCipher, resolveEncryptionKey } from '../../server/security/tokenCipher.js';

test('when a token is sealed, then it opens to the same text and never shows it', () => {
  const cipher = new TokenCipher(randomBytes(32));
  const token = 'def50200f0c1-refresh-token-Ω';
  const sealed = cipher.seal(token);
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
  assert.ok(!sealed.includes('def50200'));
  assert.notEqual(cipher.seal(token), sealed, 'a fresh IV each time');
  assert.equal(cipher.open(sealed), token);
});

test('when a sealed value is tampered with or opened with another key, then opening throws', () => {
  const cipher = new TokenCipher(randomBytes(32));
  const sealed = cipher.seal('secret');
  const bytes = Buffer.from(sealed.slice(3), 'base64url');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  assert.throws(() => cipher.open(`v1.${bytes.toString('base64url')}`), /wrong ENCRYPTION_KEY or tampered data/);
  assert.throws(() => new TokenCipher(randomBytes(32)).open(sealed), /wrong ENCRYPTION_KEY or tampered data/);
  assert.throws(() => cipher.open('v2.abc'), /Not a sealed value/);
});

test('when no ENCRYPTION_KEY is set, then a key file is made once (0600) and reused', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-test-key-'));
  try {
    const first = resolveEncryptionKey(undefined, dataDir);
    assert.equal(first.origin, 'generated');
    assert.equal(fs.statSync(path.join(dataDir, 'encryption.key')).mode & 0o777, 0o600);
    const second = resolveEncryptionKey(undefined, dataDir);
    assert.equal(second.origin, 'key file');
    assert.deepEqual(second.key, first.key);
    const configured = randomBytes(32);
    assert.equal(resolveEncryptionKey(configured, dataDir).key, configured);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('when the key file is damaged, then it says so instead of making a new key', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-test-key-'));
  try {
    fs.writeFileSync(path.join(dataDir, 'encryption.key'), 'not a key');
    assert.throws(() => resolveEncryptionKey(undefined, dataDir), /does not hold a 64-hex-character key; restore it from a backup/);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
