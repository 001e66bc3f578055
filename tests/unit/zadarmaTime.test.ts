import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zonedTime } from '../../server/callTracking/zadarma.js';

test('Zadarma call_start is read on the wall clock of the account time zone, across DST changes', () => {
  assert.equal(zonedTime('2026-03-14 16:36:45', 'Europe/Moscow').toISOString(), '2026-03-14T13:36:45.000Z');
  assert.equal(zonedTime('2026-01-10 09:00:00', 'Europe/Berlin').toISOString(), '2026-01-10T08:00:00.000Z');
  assert.equal(zonedTime('2026-07-10 09:00:00', 'Europe/Berlin').toISOString(), '2026-07-10T07:00:00.000Z');
  // The first hour after the spring change and the last before the autumn one.
  assert.equal(zonedTime('2026-03-29 03:30:00', 'Europe/Berlin').toISOString(), '2026-03-29T01:30:00.000Z');
  assert.equal(zonedTime('2026-10-25 01:59:59', 'Europe/Berlin').toISOString(), '2026-10-24T23:59:59.000Z');
  assert.equal(zonedTime('2026-05-01 00:00:00', 'UTC').toISOString(), '2026-05-01T00:00:00.000Z');
  assert.throws(() => zonedTime('2026-02-30 10:00:00', 'Europe/Moscow'), /not a valid time/);
  assert.throws(() => zonedTime('14.03.2026 16:36', 'Europe/Moscow'), /YYYY-MM-DD HH:MM:SS/);
});
