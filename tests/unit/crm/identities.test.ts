/** Phones and e-mails as matching keys: one normal form per person, junk refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hashOf, identityHash, normalizeEmail, normalizePhone } from '../../../server/crm/identities.js';

const key = randomBytes(32);

const phones: Array<[string, string]> = [
  ['8 (900) 123-45-67', '+79001234567'],
  ['+7 900 123 45 67', '+79001234567'],
  ['89001234567', '+79001234567'],
  ['9001234567', '+79001234567'],
  ['+7 (495) 123-45-67', '+74951234567'],
  ['8 800 555-35-35', '+78005553535'],
  ['+44 20 7946 0958', '+442079460958'],
];
for (const [raw, e164] of phones) {
  test(`when the phone is ${JSON.stringify(raw)}, then it is ${e164}`, () => {
    assert.equal(normalizePhone(raw), e164);
  });
}

// Form masks filled with zeros and typed fillers are the common fake numbers: stitching every
// visitor who typed one into one person would match strangers' deals.
const junkPhones = ['', 'abc', '12', '1234567', '0000000000', '+7 (000) 000-00-00', '8 000 000 00 00', '1111111111111', 'call me'];
for (const raw of junkPhones) {
  test(`when the phone is ${JSON.stringify(raw)}, then it is refused`, () => {
    assert.equal(normalizePhone(raw), undefined);
    assert.equal(hashOf(key, 'phone', raw), undefined);
  });
}

test('when e-mails differ only in case and spaces, then they are one', () => {
  assert.equal(normalizeEmail('  Ivan.Petrov@Example.COM '), 'ivan.petrov@example.com');
  assert.equal(hashOf(key, 'email', 'IVAN@example.com'), hashOf(key, 'email', 'ivan@EXAMPLE.com'));
});

for (const raw of ['', 'ivan', 'ivan@', '@example.com', 'ivan@example', 'ivan petrov@example.com', 'a@b@c.d']) {
  test(`when the e-mail is ${JSON.stringify(raw)}, then it is refused`, () => {
    assert.equal(normalizeEmail(raw), undefined);
  });
}

test('when two spellings name one phone, then their hashes are equal, and a phone and an e-mail never collide by kind', () => {
  assert.equal(hashOf(key, 'phone', '8 (900) 123-45-67'), hashOf(key, 'phone', '+7 900 123 45 67'));
  assert.equal(hashOf(key, 'phone', '8 (900) 123-45-67'), identityHash(key, 'phone', '+79001234567'));
  assert.notEqual(identityHash(key, 'phone', 'x'), identityHash(key, 'email', 'x'));
  assert.match(identityHash(key, 'email', 'ivan@example.com'), /^[0-9a-f]{64}$/);
});

test('when the key differs, then the digests differ, so a database copy without the key cannot be looked up by phone', () => {
  assert.notEqual(identityHash(key, 'phone', '+79001234567'), identityHash(randomBytes(32), 'phone', '+79001234567'));
  assert.notEqual(identityHash(key, 'phone', '+79001234567'), createHash('sha256').update('phone:+79001234567').digest('hex'));
});
