/** Phones and e-mails as matching keys: one normal form per person, junk refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, identityHash, normalizeEmail, normalizePhone } from '../../../server/crm/identities.js';

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
    assert.equal(hashOf('phone', raw), undefined);
  });
}

test('when e-mails differ only in case and spaces, then they are one', () => {
  assert.equal(normalizeEmail('  Ivan.Petrov@Example.COM '), 'ivan.petrov@example.com');
  assert.equal(hashOf('email', 'IVAN@example.com'), hashOf('email', 'ivan@EXAMPLE.com'));
});

for (const raw of ['', 'ivan', 'ivan@', '@example.com', 'ivan@example', 'ivan petrov@example.com', 'a@b@c.d']) {
  test(`when the e-mail is ${JSON.stringify(raw)}, then it is refused`, () => {
    assert.equal(normalizeEmail(raw), undefined);
  });
}

test('when two spellings name one phone, then their hashes are equal, and a phone and an e-mail never collide by kind', () => {
  assert.equal(hashOf('phone', '8 (900) 123-45-67'), hashOf('phone', '+7 900 123 45 67'));
  assert.equal(hashOf('phone', '8 (900) 123-45-67'), identityHash('phone', '+79001234567'));
  assert.notEqual(identityHash('phone', 'x'), identityHash('email', 'x'));
  assert.match(identityHash('email', 'ivan@example.com'), /^[0-9a-f]{64}$/);
});
