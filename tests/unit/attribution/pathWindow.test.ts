import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathWindow, type Touch } from '../../../server/attribution/index.js';

const DAY = 86_400_000;
const conversionAt = new Date(Date.UTC(2026, 5, 1, 12));

interface Visit extends Touch {
  id: string;
}

function visit(id: string, daysBefore: number, ms = 0): Visit {
  return { id, channel: id, direct: false, at: new Date(conversionAt.getTime() - daysBefore * DAY + ms) };
}

describe('pathWindow', () => {
  test('when visits surround the window, then only those within 90 days up to the conversion stay, oldest first', () => {
    const visits = [visit('after', 0, 1), visit('d1', 1), visit('edge90', 90), visit('d91', 91), visit('d30', 30), visit('atConversion', 0), visit('justOut', 90, -1)];
    assert.deepEqual(
      pathWindow(visits, conversionAt).map((v) => v.id),
      ['edge90', 'd30', 'd1', 'atConversion'],
    );
  });

  test('when the lookback is 365 days, then a visit 300 days before counts; with 7, it does not', () => {
    const visits = [visit('d300', 300), visit('d5', 5)];
    assert.deepEqual(pathWindow(visits, conversionAt, 365).map((v) => v.id), ['d300', 'd5']);
    assert.deepEqual(pathWindow(visits, conversionAt, 7).map((v) => v.id), ['d5']);
  });

  test('when visits are simultaneous, then they keep the given order; the input is not changed', () => {
    const visits = [visit('b', 2), visit('x', 1), visit('y', 1), visit('a', 3)];
    assert.deepEqual(pathWindow(visits, conversionAt).map((v) => v.id), ['a', 'b', 'x', 'y']);
    assert.deepEqual(visits.map((v) => v.id), ['b', 'x', 'y', 'a']);
  });

  test('when the lookback or the conversion time is wrong, then it throws a clear error', () => {
    assert.throws(() => pathWindow([], conversionAt, 366), /lookbackDays must be more than 0 and at most 365/);
    assert.throws(() => pathWindow([], conversionAt, 0), /lookbackDays/);
    assert.throws(() => pathWindow([], new Date('nope')), /conversionAt is an invalid date/);
  });

  test('when a visit has an invalid date, then it is left out', () => {
    assert.deepEqual(pathWindow([{ ...visit('bad', 1), at: new Date('nope') }, visit('ok', 1)], conversionAt).map((v) => v.id), ['ok']);
  });
});
