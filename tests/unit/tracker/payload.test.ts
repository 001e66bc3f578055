import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cut, goalName, goalValue, MAX_GOAL_LENGTH, optionalText } from '../../../tracker/src/payload.js';

test('when a goal name is a string, then it is kept and cut to 100 characters', () => {
  assert.equal(goalName('callback_form'), 'callback_form');
  assert.equal(goalName('g'.repeat(150)), 'g'.repeat(MAX_GOAL_LENGTH));
});

for (const [when, name] of [['empty', ''], ['a number', 42], ['missing', undefined], ['an object', { name: 'x' }]] as const) {
  test(`when a goal name is ${when}, then the call is ignored`, () => {
    assert.equal(goalName(name), undefined);
  });
}

const valueCases: readonly (readonly [when: string, value: unknown, expected: number | undefined])[] = [
  ['a number', 1500, 1500],
  ['zero', 0, 0],
  ['a negative fraction', -12.5, -12.5],
  ['NaN', Number.NaN, undefined],
  ['Infinity', Number.POSITIVE_INFINITY, undefined],
  ['a string', '1500', undefined],
  ['missing', undefined, undefined],
];

for (const [when, value, expected] of valueCases) {
  test(`when a goal value is ${when}, then ${expected === undefined ? 'it is left out' : `it is ${expected}`}`, () => {
    assert.equal(goalValue(value), expected);
  });
}

test('when optional text is empty, then it is left out; when long, then it is cut', () => {
  assert.equal(optionalText('', 300), undefined);
  assert.equal(optionalText('Prices', 300), 'Prices');
  assert.equal(optionalText('t'.repeat(301), 300), 't'.repeat(300));
});

test('when a text is cut in the middle of an emoji, then the whole emoji goes, never half of it', () => {
  const title = `${'a'.repeat(299)}🔥 sale`;
  assert.equal(optionalText(title, 300), 'a'.repeat(299));
  assert.equal(cut('ab🔥', 3), 'ab');
  assert.equal(cut('ab🔥', 4), 'ab🔥');
  assert.equal(cut('abc', 10), 'abc');
});
