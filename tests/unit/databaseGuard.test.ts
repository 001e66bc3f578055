import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsafeTestTargetError, assertTestDatabaseName, assertTestRedisPrefix } from '../support/databaseGuard.js';
import { dropTestDatabase, deleteRedisKeys } from '../support/backends.js';

test('when a database name has no "test", then dropping it is refused before any connection', async () => {
  assert.throws(() => assertTestDatabaseName('longfunnel'), UnsafeTestTargetError);
  await assert.rejects(dropTestDatabase('postgres'), UnsafeTestTargetError);
  await assert.rejects(dropTestDatabase('longfunnel_prod'), UnsafeTestTargetError);
});

test('when a Redis prefix has no "test", then wiping it is refused', async () => {
  assert.throws(() => assertTestRedisPrefix('longfunnel'), UnsafeTestTargetError);
  await assert.rejects(deleteRedisKeys('bull'), UnsafeTestTargetError);
});

test('when a name contains "test", then the guard lets it through', () => {
  assertTestDatabaseName('longfunnel_test_ab12');
  assertTestRedisPrefix('longfunnel_test_ab12');
});
