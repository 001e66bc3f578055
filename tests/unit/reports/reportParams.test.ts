/** The reports' common parameters: the default period, whole UTC days, and 422s naming the parameter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../server/errors.js';
import { periodOf, reportSchema, validateQuery } from '../../../server/reports/reportParams.js';

test('when no dates are given, then the period is the 30 days up to today, as whole UTC days', () => {
  const period = periodOf({}, new Date('2026-03-31T23:59:00Z'));
  assert.deepEqual([period.from, period.to], ['2026-03-02', '2026-03-31']);
  assert.equal(period.start.toISOString(), '2026-03-02T00:00:00.000Z');
  assert.equal(period.end.toISOString(), '2026-04-01T00:00:00.000Z');
  assert.equal(periodOf({ to: '2026-01-10' }).from, '2025-12-12');
});

test('when the period is reversed or longer than two years, then 422 names "from"', () => {
  for (const query of [{ from: '2026-03-10', to: '2026-03-01' }, { from: '2020-01-01', to: '2026-01-01' }]) {
    assert.throws(() => periodOf(query), (error: unknown) => error instanceof AppError && error.status === 422 && /"from"/.test(error.message));
  }
});

test('when a parameter is unknown, repeated or invalid, then the 422 names it', () => {
  const schema = reportSchema();
  const failure = (query: Record<string, unknown>) => {
    try {
      validateQuery(schema, query);
    } catch (error) {
      assert.ok(error instanceof AppError && error.status === 422);
      return error.message;
    }
    throw new Error(`accepted ${JSON.stringify(query)}`);
  };
  assert.match(failure({ city: 'Moscow' }), /Unknown parameter "city"/);
  assert.match(failure({ model: ['first', 'last'] }), /"model"/);
  assert.match(failure({ from: '2026-02-30' }), /"from".*not a real date/);
  assert.match(failure({ to: '31.03.2026' }), /"to".*YYYY-MM-DD/);
  assert.deepEqual(validateQuery(schema, { model: 'markov', level: 'deals', format: 'csv' }), { model: 'markov', level: 'deals', format: 'csv' });
});
