import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ID_BYTES, idFromBytes, isId } from '../../../tracker/src/ids.js';

test('when the random bytes are given, then each byte is two hex digits, leading zeros kept', () => {
  assert.equal(idFromBytes([0, 1, 15, 16, 127, 128, 254, 255]), '00010f107f80feff');
});

test('when an id is made of ID_BYTES random bytes, then it is a valid protocol id', () => {
  const id = idFromBytes(new Uint8Array(ID_BYTES).fill(171));
  assert.equal(id, 'ab'.repeat(ID_BYTES));
  assert.ok(isId(id));
});

const idCases: readonly (readonly [when: string, value: string, expected: boolean])[] = [
  ['a value has 8 characters of the alphabet', 'aZ09_-xy', true],
  ['a value has 64 characters', 'a'.repeat(64), true],
  ['a value has 7 characters', 'abcdefg', false],
  ['a value has 65 characters', 'a'.repeat(65), false],
  ['a value has a dot', 'abcd.efgh', false],
  ['a value is percent-encoded', 'abcd%20efgh', false],
  ['a value is empty', '', false],
];

for (const [when, value, expected] of idCases) {
  test(`when ${when}, then it is ${expected ? '' : 'not '}a valid id`, () => {
    assert.equal(isId(value), expected);
  });
}
